/* Writes a mutated copy of a cfg, for t_cfg_fuzz: 1 to 3 random edits, chosen by the seed alone
 * (the same seed gives the same cfg on every machine). The [net] section keeps its lines; after it
 * an edit replaces a value (with a small, zero, negative, fractional or list value, or another
 * activation), inserts a key, inserts a section header, turns a header into another type, or
 * deletes a line.
 *
 *   cfgmutate <in.cfg> <out.cfg> <seed>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAXLINES = 4096, MAXLEN = 256 };
static char lines[MAXLINES][MAXLEN];
static int nlines;

static unsigned long long rng;
static int rnd(int n)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (int)(rng % (unsigned long long)n);
}
#define PICK(a) (a[rnd((int)(sizeof a/sizeof *a))])

static const char *VALS[] = {"0", "-1", "1", "2", "3", "5", "7", "9", "16", "33", "-3", "0.5", "1.5",
                             "1,2", "-1,-2", "-2", "-4", "abc", "", "1e9", "nan"};
static const char *KEYS[] = {"filters", "size", "stride", "pad", "padding", "groups", "from", "layers",
                             "output", "probability", "batch_normalize", "flipped", "threshold",
                             "sparsity", "wp", "wn", "activation", "temperature", "classes", "num",
                             "mask", "anchors", "learning_rate"};
static const char *ACTS[] = {"linear", "relu", "leaky", "logistic", "tanh", "elu", "selu", "relie",
                             "ramp", "plse", "loggy", "stair", "hardtan", "lhtan", "bogus"};
static const char *TYPES[] = {"[convolutional]", "[ternary]", "[shortcut]", "[route]", "[maxpool]",
                              "[avgpool]", "[dropout]", "[batchnorm]", "[upsample]", "[reorg]",
                              "[local]", "[activation]", "[l2norm]", "[normalization]",
                              "[deconvolutional]", "[connected]", "[crop]", "[softmax]", "[yolo]",
                              "[region]", "[iseg]", "[cost]", "[logistic]", "[bogus]"};

static void insert(int at, const char *text)
{
    if(nlines >= MAXLINES) return;
    memmove(lines[at + 1], lines[at], (size_t)(nlines - at)*MAXLEN);
    snprintf(lines[at], MAXLEN, "%s", text);
    ++nlines;
}

int main(int argc, char **argv)
{
    if(argc != 4){
        fprintf(stderr, "usage: cfgmutate <in.cfg> <out.cfg> <seed>\n");
        return 2;
    }
    rng = strtoull(argv[3], 0, 10)*0x9E3779B97F4A7C15ull + 1;
    FILE *in = fopen(argv[1], "r");
    if(!in){ fprintf(stderr, "cfgmutate: %s: %s\n", argv[1], strerror(errno)); return 1; }
    while(nlines < MAXLINES && fgets(lines[nlines], MAXLEN, in)){
        lines[nlines][strcspn(lines[nlines], "\n")] = 0;
        ++nlines;
    }
    fclose(in);
    int first = 0;                      /* the first line of the first section after [net] */
    while(first < nlines && lines[first][0] != '[') ++first;      /* [net] */
    ++first;
    while(first < nlines && lines[first][0] != '[') ++first;
    if(first >= nlines){ fprintf(stderr, "cfgmutate: %s: no section after [net]\n", argv[1]); return 1; }

    int edits = 1 + rnd(3), e;
    char buf[MAXLEN];
    for(e = 0; e < edits; ++e){
        int at = first + rnd(nlines - first);
        int kind = rnd(10);
        char *eq = strchr(lines[at], '=');
        if(kind < 4 && eq){
            *eq = 0;
            snprintf(buf, sizeof buf, "%s=%s", lines[at],
                     strcmp(lines[at], "activation") == 0 ? PICK(ACTS) : PICK(VALS));
            snprintf(lines[at], MAXLEN, "%s", buf);
        }else if(kind < 6){
            const char *key = PICK(KEYS);
            snprintf(buf, sizeof buf, "%s=%s", key, strcmp(key, "activation") == 0 ? PICK(ACTS) : PICK(VALS));
            insert(at + 1 < nlines ? at + 1 : nlines, buf);
        }else if(kind < 8){
            insert(at, PICK(TYPES));
        }else if(kind < 9){
            int tries;
            for(tries = 0; tries < 20 && lines[at][0] != '['; ++tries) at = first + rnd(nlines - first);
            if(lines[at][0] == '[' && at > first) snprintf(lines[at], MAXLEN, "%s", PICK(TYPES));
        }else if(at > first){
            memmove(lines[at], lines[at + 1], (size_t)(nlines - at - 1)*MAXLEN);
            --nlines;
        }
    }
    FILE *out = fopen(argv[2], "w");
    if(!out){ fprintf(stderr, "cfgmutate: %s: %s\n", argv[2], strerror(errno)); return 1; }
    int i;
    for(i = 0; i < nlines; ++i) fprintf(out, "%s\n", lines[i]);
    if(fclose(out)){ fprintf(stderr, "cfgmutate: %s: %s\n", argv[2], strerror(errno)); return 1; }
    return 0;
}
