/* [ternary] as a drop-in layer of a detector: upstream's yolov3-tiny.cfg (from the Darknet tree
 * under test, $TTQ_TREE/cfg) with every [convolutional] section but the first and the detection
 * heads changed to [ternary], at 96x96. It parses, predicts finite values, trains a step with an
 * empty truth, and saves and loads to the same predictions. */
#include "testutil.h"

#include "darknet.h"

static int is_finite(float f)
{
    unsigned bits;
    memcpy(&bits, &f, sizeof bits);
    return (bits & 0x7F800000u) != 0x7F800000u;
}

/* Rewrites src into dst; returns the number of sections made [ternary]. */
static int make_ternary_yolo(const char *src, const char *dst)
{
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    if(!in || !out) return -1;
    char *lines[512];
    int n = 0, i, j, nconv = 0, changed = 0;
    char buf[512];
    while(n < 512 && fgets(buf, sizeof buf, in)) lines[n++] = strdup(buf);
    fclose(in);
    for(i = 0; i < n; ++i){
        if(!strncmp(lines[i], "width", 5) || !strncmp(lines[i], "height", 6)){
            fprintf(out, "%s=96\n", lines[i][0] == 'w' ? "width" : "height");
            continue;
        }
        if(!strncmp(lines[i], "[convolutional]", 15)){
            int head = 0;
            for(j = i + 1; j < n; ++j){          /* the next section */
                if(lines[j][0] == '['){ head = !strncmp(lines[j], "[yolo]", 6); break; }
            }
            if(nconv++ > 0 && !head){
                fputs("[ternary]\n", out);
                ++changed;
                continue;
            }
        }
        fputs(lines[i], out);
    }
    for(i = 0; i < n; ++i) free(lines[i]);
    fclose(out);
    return changed;
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    const char *tree = getenv("TTQ_TREE");
    char src[1024], cfg[] = "/tmp/ttq-yolo-XXXXXX", weights[64];
    snprintf(src, sizeof src, "%s/cfg/yolov3-tiny.cfg", tree ? tree : "build/cpu/darknet");
    int fd = mkstemp(cfg);
    close(fd);
    int changed = make_ternary_yolo(src, cfg);
    CHECK(changed == 10, "expected 10 [ternary] sections in yolov3-tiny, made %d (from %s)", changed, src);
    if(changed <= 0) return t_finish();

    srand(3);
    network *net = parse_network_cfg(cfg);
    int i, nt = 0, nyolo = 0;
    for(i = 0; i < net->n; ++i){
        nt += net->layers[i].type == TERNARY;
        nyolo += net->layers[i].type == YOLO;
    }
    CHECK(nt == 10 && nyolo == 2, "parsed %d [ternary] and %d [yolo] layers", nt, nyolo);
    float *x = malloc(net->inputs*sizeof(float));
    for(i = 0; i < net->inputs; ++i) x[i] = (float)rand()/RAND_MAX;
    /* outputs of both yolo layers */
    int bad = 0, total = 0;
    network_predict(net, x);
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type != YOLO) continue;
        int j;
        for(j = 0; j < l.outputs; ++j){ bad += !is_finite(l.output[j]); ++total; }
    }
    CHECK(total > 0 && bad == 0, "%d of %d yolo outputs are not finite", bad, total);

    data d = {0};
    d.X = make_matrix(net->batch, net->inputs);
    d.y = make_matrix(net->batch, net->truths);
    memcpy(d.X.vals[0], x, net->inputs*sizeof(float));
    float loss = train_network(net, d);
    CHECK(is_finite(loss) && loss >= 0, "training step with an empty truth: loss %g", loss);
    free_data(d);

    layer out = net->layers[net->n - 1];
    float *p1 = malloc(out.outputs*sizeof(float));
    memcpy(p1, network_predict(net, x), out.outputs*sizeof(float));
    snprintf(weights, sizeof weights, "%s.weights", cfg);
    save_weights(net, weights);
    srand(99);
    network *again = parse_network_cfg(cfg);
    load_weights(again, weights);
    float *p2 = network_predict(again, x);
    CHECK_CLOSE("predictions after save/load", p2, p1, out.outputs, 0, 0);
    unlink(cfg);
    unlink(weights);
    free(p1);
    free(x);
    free_network(net);
    free_network(again);
    return t_finish();
}
