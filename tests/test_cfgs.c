/* Every cfg shipped in cfg/ parses and runs one training iteration on generated data (batch 2;
 * a detector gets one box per image), with a finite loss; the ttq-* cfgs hold [ternary] layers and keep the first convolution and the
 * classifier in full precision, and their [convolutional] twins have the same shapes. */
#include "testutil.h"

#include <dirent.h>

#include "darknet.h"

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if(!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(n + 1, 1);
    if(fread(s, 1, n, f) != (size_t)n) n = 0;
    fclose(f);
    return s;
}

/* copy of the cfg with batch=2 and subdivisions=1 */
static void small_batch_copy(const char *src, const char *dst)
{
    char *s = read_text(src);
    FILE *o = fopen(dst, "w");
    char *line = strtok(s, "\n");
    while(line){
        if(!strncmp(line, "batch=", 6)) fputs("batch=2", o);
        else if(!strncmp(line, "subdivisions=", 13)) fputs("subdivisions=1", o);
        else fputs(line, o);
        fputc('\n', o);
        line = strtok(0, "\n");
    }
    fclose(o);
    free(s);
}

static void run_cfg(const char *name)
{
    char src[512], tmp[] = "/tmp/ttq-cfg-XXXXXX";
    snprintf(src, sizeof src, "cfg/%s", name);
    int fd = mkstemp(tmp);
    close(fd);
    small_batch_copy(src, tmp);
    srand(1);
    network *net = parse_network_cfg(tmp);
    unlink(tmp);
    int i, nt = 0, first_conv = -1, last_weighted = -1;
    for(i = 0; i < net->n; ++i){
        LAYER_TYPE t = net->layers[i].type;
        if(t == TERNARY) ++nt;
        if((t == CONVOLUTIONAL || t == TERNARY) && first_conv < 0) first_conv = i;
        if(t == CONVOLUTIONAL || t == TERNARY || t == CONNECTED) last_weighted = i;
    }
    if(!strncmp(name, "ttq-", 4)){
        CHECK(nt > 0, "%s: no [ternary] layer", name);
        CHECK(first_conv >= 0 && net->layers[first_conv].type == CONVOLUTIONAL,
              "%s: the first convolution should stay full precision", name);
        CHECK(last_weighted >= 0 && net->layers[last_weighted].type != TERNARY,
              "%s: the classifier should stay full precision", name);
    }
    data d = {0};
    layer last = net->layers[net->n - 1];
    int detector = last.type == YOLO || last.type == REGION || last.type == DETECTION;
    d.X = make_matrix(net->batch, net->inputs);
    d.y = make_matrix(net->batch, detector ? net->truths : net->outputs);
    for(i = 0; i < net->batch; ++i){
        int j;
        for(j = 0; j < net->inputs; ++j) d.X.vals[i][j] = (float)rand()/RAND_MAX;
        if(detector){              /* one box: x, y, w, h, class */
            float box[5] = {.5f, .5f, .3f, .4f, (float)(i % last.classes)};
            memcpy(d.y.vals[i], box, sizeof box);
        } else {
            d.y.vals[i][i % net->outputs] = 1;
        }
    }
    float loss = train_network(net, d);
    CHECK(loss == loss && loss > 0 && loss < 1e6, "%s: one training iteration gave loss %g", name, loss);
    t_log("%-20s %3d layers, %2d [ternary], loss %g\n", name, net->n, nt, loss);
    free_data(d);
    free_network(net);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    DIR *dir = opendir("cfg");
    if(!dir){ printf("FAIL: no cfg/ folder (run from the repository root)\n"); return 1; }
    char *names[256];
    int n = 0, i;
    struct dirent *e;
    while((e = readdir(dir)) && n < 256){
        size_t len = strlen(e->d_name);
        if(len > 4 && !strcmp(e->d_name + len - 4, ".cfg")) names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof(char *), cmp_str);
    CHECK(n >= 10, "expected at least 10 cfgs in cfg/, found %d", n);
    for(i = 0; i < n; ++i){
        run_cfg(names[i]);
        free(names[i]);
    }
    return t_finish();
}
