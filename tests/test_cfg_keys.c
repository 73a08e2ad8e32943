/* The table of known cfg keys (check_cfg_known_key, src/check_cfg.c: an unknown key is an error,
 * patch 0701) against the sources of the built tree: every key that Darknet's parser, [ternary]
 * and the cfg checks ask for, as a string literal in option_find*(...), check_cfg_int/float(...)
 * or [ternary]'s cfg_int/float(...) calls of src/parser.c, src/ternary_layer.c and src/check_cfg.c, is known; and every key of the
 * table but the two that only upstream's cfgs hold (hidden, seen) is asked for somewhere, so the
 * table holds no key Darknet does not read. The tree is $TTQ_TREE (run.sh sets it). */
#include "testutil.h"
#include "check_cfg.h"

#include <ctype.h>

#define MAXK 512
static char asked[MAXK][64];
static int nasked = 0;

static void add(const char *k, size_t n)
{
    int i;
    if(n == 0 || n >= sizeof asked[0]) return;
    for(i = 0; i < nasked; ++i) if(strlen(asked[i]) == n && strncmp(asked[i], k, n) == 0) return;
    if(nasked < MAXK){ memcpy(asked[nasked], k, n); asked[nasked][n] = 0; ++nasked; }
}

/* the first "key" literal (letters, digits, '_') among a call's arguments, up to its ')' */
static void scan_call(const char *p)
{
    int depth = 0;
    for(; *p; ++p){
        if(*p == '(') ++depth;
        else if(*p == ')'){ if(--depth <= 0) return; }
        else if(*p == '"'){
            const char *q = p + 1;
            while(*q && (isalnum((unsigned char)*q) || *q == '_')) ++q;
            if(*q == '"' && q > p + 1){ add(p + 1, q - p - 1); return; }
            while(*q && *q != '"') ++q;
            if(!*q) return;
            p = q;
        }
    }
}

static int scan_file(const char *tree, const char *name)
{
    static const char *calls[] = {"option_find", "check_cfg_int(", "check_cfg_float(", "check_float(",
                                  "parse_erase_option(", "cfg_float(", "cfg_int("};
    char path[4096];
    snprintf(path, sizeof path, "%s/src/%s", tree, name);
    FILE *f = fopen(path, "rb");
    if(!f){ t_fail(__FILE__, __LINE__, "cannot read %s", path); return 0; }
    static char text[1 << 21];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    int found = 0;
    size_t c;
    for(c = 0; c < sizeof calls/sizeof *calls; ++c){
        const char *p = text;
        while((p = strstr(p, calls[c]))){
            /* a declaration or definition ("float check_cfg_float(list *options, ...") has no literal
               key; the .data readers of check_cfg.c use option_find_str/_int on .data files */
            const char *paren = strchr(p, '(');
            if(paren){ scan_call(paren); ++found; }
            p += strlen(calls[c]);
        }
    }
    return found;
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    const char *tree = getenv("TTQ_TREE");
    if(!tree){ fprintf(stderr, "TTQ_TREE is not set (the built Darknet tree, e.g. build/cpu/darknet)\n"); return 2; }
    CHECK(scan_file(tree, "parser.c") > 100, "parser.c: fewer option_find calls than expected");
    CHECK(scan_file(tree, "ternary_layer.c") > 0, "ternary_layer.c: no key read");
    CHECK(scan_file(tree, "check_cfg.c") > 10, "check_cfg.c: no key read");
    /* the .data keys that check_cfg.c's .data readers ask with option_find: not cfg keys */
    static const char *data_keys[] = {"backup", "classes", "labels", "names", "results", "top", "train",
                                      "valid", "test", "tree", "map", "tag", "eval"};
    int i;
    size_t d;
    for(i = 0; i < nasked; ++i){
        int is_data = 0;
        for(d = 0; d < sizeof data_keys/sizeof *data_keys; ++d) is_data |= strcmp(asked[i], data_keys[d]) == 0;
        if(t_verbose) fprintf(stderr, "asked: %s%s\n", asked[i], check_cfg_known_key(asked[i]) ? "" : " (unknown)");
        CHECK(check_cfg_known_key(asked[i]) || is_data, "the sources ask for cfg key '%s', which the table "
              "of known keys (src/check_cfg.c) lacks: a cfg holding it would be refused", asked[i]);
    }
    /* the converse: each key of the table is asked for, but the two of upstream's cfgs alone */
    int nk = 0, j;
    const char *const *keys = check_cfg_known_keys(&nk);
    CHECK(nk > 100, "only %d known keys", nk);
    for(j = 0; j < nk; ++j){
        int hit = strcmp(keys[j], "hidden") == 0 || strcmp(keys[j], "seen") == 0;
        for(i = 0; i < nasked && !hit; ++i) hit = strcmp(keys[j], asked[i]) == 0;
        CHECK(hit, "known key '%s' is read by no call the test found: drop it from the table", keys[j]);
        CHECK(j == 0 || strcmp(keys[j-1], keys[j]) < 0, "the table is not sorted at '%s'", keys[j]);
    }
    /* keys it must hold, and what it must not */
    static const char *must[] = {"filters", "threshold", "sparsity", "per_filter", "wp", "wn", "wpwn_decay",
                                 "ttq_log_every", "erase", "mask", "anchors", "learning_rate", "hidden", "seen"};
    for(d = 0; d < sizeof must/sizeof *must; ++d) CHECK(check_cfg_known_key(must[d]), "'%s' is not known", must[d]);
    CHECK(!check_cfg_known_key("filtres") && !check_cfg_known_key("") && !check_cfg_known_key("Filters"),
          "a typo is known");
    return t_finish();
}
