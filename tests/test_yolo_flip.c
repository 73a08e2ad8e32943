/* [yolo] detections with a batch of 2, as `detector valid2` runs them (an image and its mirror
 * image; patch 0422): the layer's outputs are written here directly. When the second image's
 * outputs are the exact mirror of the first's, the detections equal those of the first alone;
 * when the mirror lifts boxes over the threshold that the first image had below it, the number
 * counted equals the number written (upstream wrote past the detections array), with the mean
 * objectness. */
#include "testutil.h"

#include "darknet.h"

static const char *CFG =
    "[net]\nbatch=2\nwidth=16\nheight=16\nchannels=3\n"
    "[convolutional]\nfilters=21\nsize=1\nstride=1\npad=0\nactivation=linear\n"
    "[yolo]\nmask=0,1,2\nanchors=10,14, 23,27, 37,58\nclasses=2\nnum=3\nrandom=0\n";

/* index of entry e of anchor n at (row, col) of image b, [yolo]'s anchor-major layout */
static int at(layer l, int b, int n, int row, int col, int e)
{
    return b*l.outputs + n*l.w*l.h*(4 + l.classes + 1) + e*l.w*l.h + row*l.w + col;
}

static float value(int n, int row, int col, int e)
{
    unsigned h = (unsigned)(n*7919 + row*104729 + col*1299709 + e*15485863);
    h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
    float u = (h & 0xFFFF)/65536.f;                 /* [0, 1) */
    if(e == 2 || e == 3) return u - .5f;            /* raw log-scale w, h */
    return .02f + .96f*u;                           /* logistic outputs */
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    char path[] = "/tmp/ttq-yoloflip-XXXXXX";
    int fd = mkstemp(path);
    if(fd < 0 || write(fd, CFG, strlen(CFG)) != (ssize_t)strlen(CFG)) { perror(path); return 2; }
    close(fd);
    network *net = parse_network_cfg(path);
    unlink(path);
    set_batch_network(net, 1);      /* buffers stay those of batch 2, as in valid2 */
    int li = net->n - 1;
    layer l = net->layers[li];
    CHECK(l.type == YOLO && l.w == 16 && l.classes == 2, "unexpected layer set-up");
    const float thresh = .3f;
    int n, row, col, e, i, j;

    /* the first image alone */
    for(n = 0; n < l.n; ++n) for(row = 0; row < l.h; ++row) for(col = 0; col < l.w; ++col)
        for(e = 0; e < 4 + 1 + l.classes; ++e) l.output[at(l, 0, n, row, col, e)] = value(n, row, col, e);
    int n1 = 0;
    detection *d1 = get_network_boxes(net, 16, 16, thresh, .5, 0, 1, &n1);
    CHECK(n1 > 10, "only %d boxes above the threshold in the set-up", n1);

    /* batch 2, the second image the exact mirror of the first */
    set_batch_network(net, 2);
    l = net->layers[li];
    for(n = 0; n < l.n; ++n) for(row = 0; row < l.h; ++row) for(col = 0; col < l.w; ++col)
        for(e = 0; e < 4 + 1 + l.classes; ++e){
            float v = value(n, row, col, e);
            l.output[at(l, 0, n, row, col, e)] = v;
            l.output[at(l, 1, n, row, l.w - 1 - col, e)] = e == 0 ? 1 - v : v;
        }
    int n2 = 0;
    detection *d2 = get_network_boxes(net, 16, 16, thresh, .5, 0, 1, &n2);
    CHECK(n2 == n1, "mirror pair: %d boxes, the image alone %d", n2, n1);
    for(i = 0; i < n1 && i < n2; ++i){
        CHECK(fabsf(d1[i].bbox.x - d2[i].bbox.x) < 1e-6f && fabsf(d1[i].bbox.y - d2[i].bbox.y) < 1e-6f &&
              fabsf(d1[i].bbox.w - d2[i].bbox.w) < 1e-6f && fabsf(d1[i].bbox.h - d2[i].bbox.h) < 1e-6f,
              "box %d: (%g %g %g %g) against (%g %g %g %g)", i, d2[i].bbox.x, d2[i].bbox.y, d2[i].bbox.w,
              d2[i].bbox.h, d1[i].bbox.x, d1[i].bbox.y, d1[i].bbox.w, d1[i].bbox.h);
        CHECK(fabsf(d1[i].objectness - d2[i].objectness) < 1e-6f, "box %d: objectness", i);
        for(j = 0; j < l.classes; ++j) CHECK(fabsf(d1[i].prob[j] - d2[i].prob[j]) < 1e-6f, "box %d: class %d", i, j);
    }
    free_detections(d1, n1);
    free_detections(d2, n2);

    /* the first image sees nothing, its mirror sees everything: every box has the mean 0.5 */
    for(n = 0; n < l.n; ++n) for(row = 0; row < l.h; ++row) for(col = 0; col < l.w; ++col){
        for(e = 0; e < 4 + 1 + l.classes; ++e){
            l.output[at(l, 0, n, row, col, e)] = value(n, row, col, e);
            l.output[at(l, 1, n, row, col, e)] = value(n, row, col, e);
        }
        l.output[at(l, 0, n, row, col, 4)] = .1f;
        l.output[at(l, 1, n, row, col, 4)] = .9f;
    }
    int n3 = 0;
    detection *d3 = get_network_boxes(net, 16, 16, thresh, .5, 0, 1, &n3);
    CHECK(n3 == l.w*l.h*l.n, "%d boxes, expected every one of the %d", n3, l.w*l.h*l.n);
    for(i = 0; i < n3; ++i) CHECK(fabsf(d3[i].objectness - .5f) < 1e-6f, "box %d: objectness %g, expected 0.5", i, d3[i].objectness);
    free_detections(d3, n3);
    free_network(net);
    return t_finish();
}
