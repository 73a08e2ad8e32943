/* Tests for the patches that change upstream Darknet code paths other than [ternary]:
 *  - 0302 fast im2col/col2im: equal to a per-pixel reference written here, many shapes;
 *  - 0402 a 1x1 convolution's backward adds to the input delta instead of overwriting it;
 *  - 0301 the threaded convolution backward equals the sum of per-image weight gradients;
 *  - 0406 a standalone [batchnorm] after a convolution without batch_normalize equals a
 *    convolution with batch_normalize=1: outputs, gradients and the update of scales and biases;
 *  - 0409 elu, selu and tanh are finite for large inputs and equal their definitions;
 *  - 0410 a 1x1 convolution with stride 2 or padding equals its definition;
 *  - 0412 [normalization] equals its definition (window sizes, few channels, large inputs);
 *  - 0414 [l2norm] on the CPU leaves an all-zero vector at zero;
 *  - 0415 resizing an image to a side of 1 pixel;
 *  - 0424 fgetl on lines holding NUL bytes; 0425 read_tree's checks; 0426 fill_truth_region with a
 *    box at (0, 0) (inputs of the fuzz harnesses, tests/fuzz/).
 * (0401 batch norm is covered by test_gradcheck, 0501 exit status by t_cfg_errors.) */
#include "testutil.h"

#include "darknet.h"
#include "convolutional_layer.h"
#include "im2col.h"
#include "col2im.h"
#include "batchnorm_layer.h"
#include "normalization_layer.h"
#include "blas.h"
#include "image.h"
#include "utils.h"
#include "tree.h"

#include <sys/stat.h>

void fill_truth_region(char *path, float *truth, int classes, int num_boxes, int flip,
                       float dx, float dy, float sx, float sy);   /* data.c's, not in data.h */

static float ref_pixel(const float *im, int h, int w, int row, int col, int ch, int pad)
{
    row -= pad;
    col -= pad;
    if(row < 0 || col < 0 || row >= h || col >= w) return 0;
    return im[col + w*(row + h*ch)];
}

static void ref_im2col(const float *im, int c, int h, int w, int k, int s, int p, float *col)
{
    int hc = (h + 2*p - k)/s + 1, wc = (w + 2*p - k)/s + 1, cc, y, x;
    for(cc = 0; cc < c*k*k; ++cc){
        int wo = cc % k, ho = (cc/k) % k, ci = cc/k/k;
        for(y = 0; y < hc; ++y) for(x = 0; x < wc; ++x)
            col[(cc*hc + y)*wc + x] = ref_pixel(im, h, w, ho + y*s, wo + x*s, ci, p);
    }
}

static void ref_col2im(const float *col, int c, int h, int w, int k, int s, int p, float *im)
{
    int hc = (h + 2*p - k)/s + 1, wc = (w + 2*p - k)/s + 1, cc, y, x;
    for(cc = 0; cc < c*k*k; ++cc){
        int wo = cc % k, ho = (cc/k) % k, ci = cc/k/k;
        for(y = 0; y < hc; ++y) for(x = 0; x < wc; ++x){
            int r = ho + y*s - p, q = wo + x*s - p;
            if(r < 0 || q < 0 || r >= h || q >= w) continue;
            im[q + w*(r + h*ci)] += col[(cc*hc + y)*wc + x];
        }
    }
}

static void test_im2col(void)
{
    int shapes[][6] = { /* c, h, w, k, stride, pad */
        {3, 8, 8, 3, 1, 1}, {2, 7, 5, 3, 2, 1}, {4, 6, 6, 1, 1, 0}, {1, 9, 9, 5, 2, 2},
        {2, 5, 7, 3, 1, 0}, {3, 10, 10, 3, 3, 1}, {1, 4, 4, 4, 1, 0}, {2, 6, 6, 7, 1, 3},
        {1, 11, 6, 2, 2, 0}, {2, 5, 5, 3, 2, 2},
    };
    int i, j;
    unsigned seed = 5;
    for(i = 0; i < (int)(sizeof shapes/sizeof shapes[0]); ++i){
        int c = shapes[i][0], h = shapes[i][1], w = shapes[i][2], k = shapes[i][3];
        int s = shapes[i][4], p = shapes[i][5];
        int hc = (h + 2*p - k)/s + 1, wc = (w + 2*p - k)/s + 1;
        int ni = c*h*w, nc = c*k*k*hc*wc;
        float *im = malloc(ni*sizeof(float)), *col = malloc(nc*sizeof(float));
        float *want = malloc(nc*sizeof(float));
        float *im2 = calloc(ni, sizeof(float)), *imw = calloc(ni, sizeof(float));
        for(j = 0; j < ni; ++j){ seed = seed*1103515245u + 12345u; im[j] = (float)(seed >> 16)/65536.f; }
        for(j = 0; j < nc; ++j) col[j] = -1;
        im2col_cpu(im, c, h, w, k, s, p, col);
        ref_im2col(im, c, h, w, k, s, p, want);
        char what[96];
        snprintf(what, sizeof what, "im2col c%d %dx%d k%d s%d p%d", c, h, w, k, s, p);
        CHECK_CLOSE(what, col, want, nc, 0, 0);
        for(j = 0; j < nc; ++j) col[j] = (float)(j % 13) - 6;
        for(j = 0; j < ni; ++j) im2[j] = imw[j] = 0.5f;
        col2im_cpu(col, c, h, w, k, s, p, im2);
        ref_col2im(col, c, h, w, k, s, p, imw);
        snprintf(what, sizeof what, "col2im c%d %dx%d k%d s%d p%d", c, h, w, k, s, p);
        CHECK_CLOSE(what, im2, imw, ni, 1e-5, 1e-6);
        free(im); free(col); free(want); free(im2); free(imw);
    }
}

/* backward of one convolutional layer with linear activation, no BN */
static void conv_backward(layer l, float *x, float *in_delta, float *dy)
{
    network net = {0};
    net.input = x;
    net.delta = in_delta;
    net.train = 1;
    net.workspace = calloc(l.workspace_size/sizeof(float) + 1, sizeof(float));
    forward_convolutional_layer(l, net);
    memcpy(l.delta, dy, l.outputs*l.batch*sizeof(float));
    memset(l.weight_updates, 0, l.nweights*sizeof(float));
    memset(l.bias_updates, 0, l.n*sizeof(float));
    backward_convolutional_layer(l, net);
    free(net.workspace);
}

static void test_conv_backward(int size, int pad)
{
    int batch = 5, c = 3, hw = 6, n = 4, i;
    layer l = make_convolutional_layer(batch, hw, hw, c, n, 1, size, 1, pad, LINEAR, 0, 0, 0, 0);
    int ni = batch*l.inputs, no = batch*l.outputs;
    float *x = malloc(ni*sizeof(float)), *dy = malloc(no*sizeof(float));
    float *d0 = calloc(ni, sizeof(float)), *d1 = malloc(ni*sizeof(float)), *want = malloc(ni*sizeof(float));
    for(i = 0; i < ni; ++i) x[i] = (float)((i*7) % 11)/11 - 0.5f;
    for(i = 0; i < no; ++i) dy[i] = (float)((i*5) % 9)/9 - 0.5f;
    for(i = 0; i < ni; ++i) d1[i] = 0.25f*(i % 3);
    conv_backward(l, x, d0, dy);
    float *wu = malloc(l.nweights*sizeof(float));
    memcpy(wu, l.weight_updates, l.nweights*sizeof(float));
    conv_backward(l, x, d1, dy);
    for(i = 0; i < ni; ++i) want[i] = 0.25f*(i % 3) + d0[i];
    char what[64];
    snprintf(what, sizeof what, "%dx%d backward adds to net.delta", size, size);
    CHECK_CLOSE(what, d1, want, ni, 1e-6, 1e-6);

    /* weight gradient = sum over images of (delta_i x im2col(x_i)^T), computed image by image */
    float *ref = calloc(l.nweights, sizeof(float));
    int b, f, kk, p, K = c*size*size, P = l.out_h*l.out_w;
    float *cols = malloc(K*P*sizeof(float));
    for(b = 0; b < batch; ++b){
        ref_im2col(x + b*l.inputs, c, hw, hw, size, 1, pad, cols);
        for(f = 0; f < n; ++f) for(kk = 0; kk < K; ++kk){
            double acc = 0;
            for(p = 0; p < P; ++p) acc += (double)dy[b*l.outputs + f*P + p]*cols[kk*P + p];
            ref[f*K + kk] += (float)acc;
        }
    }
    snprintf(what, sizeof what, "%dx%d weight updates over the batch", size, size);
    CHECK_CLOSE(what, wu, ref, l.nweights, 1e-4, 1e-4);
    free(ref); free(cols); free(wu);
    free(x); free(dy); free(d0); free(d1); free(want);
    free_layer(l);
}

static void test_batchnorm_standalone(void)
{
    int batch = 3, c = 2, hw = 5, n = 4, i;
    layer a = make_convolutional_layer(batch, hw, hw, c, n, 1, 3, 1, 1, LINEAR, 1, 0, 0, 0);
    layer b = make_convolutional_layer(batch, hw, hw, c, n, 1, 3, 1, 1, LINEAR, 0, 0, 0, 0);
    layer bn = make_batchnorm_layer(batch, b.out_w, b.out_h, n);
    memcpy(b.weights, a.weights, a.nweights*sizeof(float));
    for(i = 0; i < n; ++i){
        b.biases[i] = 0;
        a.scales[i] = bn.scales[i] = 0.5f + 0.25f*i;
        a.biases[i] = bn.biases[i] = 0.1f*i - 0.2f;
    }
    int ni = batch*a.inputs, no = batch*a.outputs;
    float *x = malloc(ni*sizeof(float)), *dy = malloc(no*sizeof(float));
    float *da = calloc(ni, sizeof(float)), *db = calloc(ni, sizeof(float));
    for(i = 0; i < ni; ++i) x[i] = (float)((i*7) % 13)/13 - 0.5f;
    for(i = 0; i < no; ++i) dy[i] = (float)((i*5) % 11)/11 - 0.5f;
    network net = {0};
    net.train = 1;
    net.input = x;
    net.workspace = calloc(a.workspace_size/sizeof(float) + 1, sizeof(float));
    forward_convolutional_layer(a, net);
    forward_convolutional_layer(b, net);
    network nb = net;
    nb.input = b.output;
    forward_batchnorm_layer(bn, nb);
    CHECK_CLOSE("[batchnorm] forward", bn.output, a.output, no, 1e-5, 1e-4);

    memcpy(a.delta, dy, no*sizeof(float));
    memcpy(bn.delta, dy, no*sizeof(float));
    memset(b.delta, 0, no*sizeof(float));
    net.delta = da;
    backward_convolutional_layer(a, net);
    nb.delta = b.delta;
    backward_batchnorm_layer(bn, nb);
    net.delta = db;
    backward_convolutional_layer(b, net);
    CHECK_CLOSE("[batchnorm] input delta", db, da, ni, 1e-5, 1e-3);
    CHECK_CLOSE("[batchnorm] weight updates", b.weight_updates, a.weight_updates, a.nweights, 1e-5, 1e-3);
    CHECK_CLOSE("[batchnorm] scale updates", bn.scale_updates, a.scale_updates, n, 1e-5, 1e-3);
    CHECK_CLOSE("[batchnorm] bias updates", bn.bias_updates, a.bias_updates, n, 1e-5, 1e-3);

    update_args u = {0};
    u.batch = batch;
    u.learning_rate = 0.1f;
    u.momentum = 0.9f;
    u.decay = 0.0005f;
    a.learning_rate_scale = bn.learning_rate_scale = 1;   /* parse_network_cfg sets it */
    float s0 = bn.scales[1];
    update_convolutional_layer(a, u);
    bn.update(bn, u);
    CHECK(bn.scales[1] != s0, "[batchnorm] update left the scales as they were");
    CHECK_CLOSE("[batchnorm] scales after the update", bn.scales, a.scales, n, 1e-6, 1e-4);
    CHECK_CLOSE("[batchnorm] biases after the update", bn.biases, a.biases, n, 1e-6, 1e-4);
    free(net.workspace); free(x); free(dy); free(da); free(db);
    free_layer(a); free_layer(b); free_layer(bn);
}

/* Patch 0410: a 1x1 convolution with stride 2 or padding equals its definition, forward (output),
 * backward (input gradient, weight gradient). Upstream read the input as if stride 1, pad 0. */
static void test_conv_1x1_strided(int stride, int pad)
{
    int batch = 3, c = 3, hw = 7, n = 4, i, b, f, kk, q;
    layer l = make_convolutional_layer(batch, hw, hw, c, n, 1, 1, stride, pad, LINEAR, 0, 0, 0, 0);
    int ni = batch*l.inputs, no = batch*l.outputs, P = l.out_h*l.out_w;
    float *x = malloc(ni*sizeof(float)), *dy = malloc(no*sizeof(float)), *dx = calloc(ni, sizeof(float));
    float *want_y = malloc(no*sizeof(float)), *want_dx = calloc(ni, sizeof(float));
    float *want_wu = calloc(l.nweights, sizeof(float));
    float *cols = malloc(c*P*sizeof(float)), *dcols = malloc(c*P*sizeof(float));
    for(i = 0; i < ni; ++i) x[i] = (float)((i*7) % 11)/11 - 0.5f;
    for(i = 0; i < no; ++i) dy[i] = (float)((i*5) % 9)/9 - 0.5f;
    for(i = 0; i < l.nweights; ++i) l.weights[i] = (float)((i*3) % 7)/7 - 0.4f;
    for(i = 0; i < n; ++i) l.biases[i] = 0.1f*i;
    for(b = 0; b < batch; ++b){
        ref_im2col(x + b*l.inputs, c, hw, hw, 1, stride, pad, cols);
        for(f = 0; f < n; ++f) for(q = 0; q < P; ++q){
            double acc = l.biases[f];
            for(kk = 0; kk < c; ++kk) acc += (double)l.weights[f*c + kk]*cols[kk*P + q];
            want_y[b*l.outputs + f*P + q] = (float)acc;
        }
        for(kk = 0; kk < c; ++kk) for(q = 0; q < P; ++q){
            double acc = 0;
            for(f = 0; f < n; ++f) acc += (double)l.weights[f*c + kk]*dy[b*l.outputs + f*P + q];
            dcols[kk*P + q] = (float)acc;
        }
        ref_col2im(dcols, c, hw, hw, 1, stride, pad, want_dx + b*l.inputs);
        for(f = 0; f < n; ++f) for(kk = 0; kk < c; ++kk){
            double acc = 0;
            for(q = 0; q < P; ++q) acc += (double)dy[b*l.outputs + f*P + q]*cols[kk*P + q];
            want_wu[f*c + kk] += (float)acc;
        }
    }
    conv_backward(l, x, dx, dy);
    char what[64];
    snprintf(what, sizeof what, "1x1 stride %d pad %d output", stride, pad);
    CHECK_CLOSE(what, l.output, want_y, no, 1e-5, 1e-5);
    snprintf(what, sizeof what, "1x1 stride %d pad %d input gradient", stride, pad);
    CHECK_CLOSE(what, dx, want_dx, ni, 1e-5, 1e-5);
    snprintf(what, sizeof what, "1x1 stride %d pad %d weight gradient", stride, pad);
    CHECK_CLOSE(what, l.weight_updates, want_wu, l.nweights, 1e-4, 1e-4);
    free(x); free(dy); free(dx); free(want_y); free(want_dx); free(want_wu); free(cols); free(dcols);
    free_layer(l);
}

/* Patch 0412: [normalization] (local response normalization, Darknet's form: alpha not divided
 * by size) equals its definition, out = x * (kappa + alpha * sum of x^2 over the channels
 * k-(size-1)/2 .. k+size/2)^-beta, for window sizes 5 and 4, fewer channels than the window,
 * and inputs large enough that upstream's running sum went negative (NaN). */
static void test_normalization(int c, int size, float scale)
{
    int batch = 2, hw = 3, i, b, k, j, p, HW = hw*hw;
    layer l = make_normalization_layer(batch, hw, hw, c, size, 0.5f, 0.75f, 1.f);
    int ni = batch*l.inputs;
    float *x = malloc(ni*sizeof(float)), *want = malloc(ni*sizeof(float));
    for(i = 0; i < ni; ++i) x[i] = scale*((float)((i*37) % 23)/23 - 0.3f);
    for(b = 0; b < batch; ++b) for(k = 0; k < c; ++k) for(p = 0; p < HW; ++p){
        double sum = 0;
        for(j = k - (size - 1)/2; j <= k + size/2; ++j){
            if(j < 0 || j >= c) continue;
            double v = x[(b*c + j)*HW + p];
            sum += v*v;
        }
        double v = x[(b*c + k)*HW + p];
        want[(b*c + k)*HW + p] = (float)(v*pow(1.0 + 0.5*sum, -0.75));
    }
    network net = {0};
    net.input = x;
    forward_normalization_layer(l, net);
    char what[64];
    snprintf(what, sizeof what, "normalization c=%d size=%d scale %g", c, size, scale);
    CHECK_CLOSE(what, l.output, want, ni, 1e-5, 1e-4);
    free(x); free(want);
    free_layer(l);
}

/* Patch 0414: l2normalize_cpu leaves an all-zero vector at zero (upstream: 0/0 = NaN on the CPU;
 * the GPU kernel had the guard) and scales any other one to unit length. */
static void test_l2norm_zero(void)
{
    /* batch 1, 3 filters, 2 positions: position 0 is (3, 0, 4), position 1 all zeros */
    float x[6] = {3, 0, 0, 0, 4, 0}, dx[6];
    const float want[6] = {0.6f, 0, 0, 0, 0.8f, 0};
    l2normalize_cpu(x, dx, 1, 3, 2);
    CHECK_CLOSE("l2norm output", x, want, 6, 1e-6, 1e-6);
    int i;
    for(i = 0; i < 6; ++i) CHECK(isfinite(dx[i]), "l2norm gradient %d is %g", i, dx[i]);
}

/* Patch 0415: resize_image to a side of 1 pixel samples the first row/column (upstream: 0/0 = NaN
 * scale), and resize_max keeps at least one pixel per side. */
static void test_resize_one_pixel(void)
{
    image row = make_image(4, 1, 1), col = make_image(1, 4, 1);   /* both hold 0 1 2 3 */
    int i;
    for(i = 0; i < 4; ++i) row.data[i] = col.data[i] = i;
    image r = resize_image(row, 7, 1);   /* linear along the row: 0 0.5 1 ... 3 */
    for(i = 0; i < 7; ++i) CHECK(fabsf(r.data[i] - 0.5f*i) < 1e-6f, "resize 4x1 -> 7x1: pixel %d = %g", i, r.data[i]);
    free_image(r);
    r = resize_image(col, 1, 7);         /* linear along the column */
    for(i = 0; i < 7; ++i) CHECK(fabsf(r.data[i] - 0.5f*i) < 1e-6f, "resize 1x4 -> 1x7: pixel %d = %g", i, r.data[i]);
    free_image(r);
    r = resize_image(col, 1, 1);         /* a target height of 1: the first row */
    CHECK(r.data[0] == 0, "resize 1x4 -> 1x1: %g, want the first row's 0", r.data[0]);
    free_image(r);
    image flat = make_image(300, 1, 3);
    r = resize_max(flat, 224);
    CHECK(r.w == 224 && r.h == 1, "resize_max(300x1, 224) is %dx%d, want 224x1", r.w, r.h);
    if(r.data != flat.data) free_image(r);
    free_image(flat);
    free_image(row);
    free_image(col);
}

/* Patch 0409: elu, selu and tanh are finite for every input and equal their definitions
 * (upstream: 0 * inf = NaN above exp's overflow, inf/inf for the CPU tanh). */
static void test_activations_large_inputs(void)
{
    static const float xs[] = {-1e4f, -1000.f, -100.f, -50.f, -3.f, -0.5f, 0.f, 0.5f, 3.f, 30.f, 50.f,
                               89.f, 100.f, 400.f, 1000.f, 1e4f, 3e38f};
    const int n = sizeof xs/sizeof *xs;
    const ACTIVATION acts[] = {ELU, SELU, TANH};
    const char *names[] = {"elu", "selu", "tanh"};
    int a, i;
    for(a = 0; a < 3; ++a){
        float y[sizeof xs/sizeof *xs];
        memcpy(y, xs, sizeof xs);
        activate_array(y, n, acts[a]);
        for(i = 0; i < n; ++i){
            double x = xs[i], want;
            if(acts[a] == ELU) want = x >= 0 ? x : expm1(x);
            else if(acts[a] == SELU) want = 1.0507*(x >= 0 ? x : 1.6732*expm1(x));
            else want = tanh(x);
            CHECK(isfinite(y[i]) && fabs(y[i] - want) <= 1e-6 + 1e-5*fabs(want),
                  "%s(%g) = %g, want %g", names[a], x, y[i], want);
        }
    }
}

/* Patch 0424: fgetl returns each line once, cut at a NUL byte (upstream read the byte before the
 * buffer for a line starting with NUL, and joined the next line to a line holding one). */
static void test_fgetl_nul(void)
{
    static const char text[] = "\0abc\nline2\nab\0cd\n\n" "last";
    static const char *want[] = {"", "line2", "ab", "", "last"};
    FILE *f = tmpfile();
    if(!f){ perror("tmpfile"); exit(2); }
    fwrite(text, 1, sizeof text - 1, f);
    rewind(f);
    int i;
    char *line;
    for(i = 0; (line = fgetl(f)) != 0; ++i){
        if(i < 5) CHECK(strcmp(line, want[i]) == 0, "fgetl line %d: '%s', want '%s'", i + 1, line, want[i]);
        free(line);
    }
    CHECK(i == 5, "fgetl read %d lines, want 5", i);
    fclose(f);
}

static char tree_dir[] = "/tmp/ttq-upstream-XXXXXX";

static void child_read_tree(void *path)
{
    read_tree((char *)path);
}

/* Patch 0425: read_tree ends in one error naming the file for a missing file, a parent that is not
 * an earlier line and a name too long for its buffer (upstream: a segfault, or writes out of
 * bounds); a valid tree reads. */
static void test_read_tree(void)
{
    char path[300], buf[4096], name[301];
    static const struct { const char *what, *text, *needle; } bad[] = {
        {"missing file", 0, "Couldn't open file"},
        {"parent after its line", "a -1\nb 5\nc 0\n", "line 2"},
        {"parent is its own line", "a -1\nb 1\n", "line 2"},
        {"empty line", "a -1\n\nb 0\n", "line 2"},
    };
    size_t k;
    snprintf(path, sizeof path, "%s/t.tree", tree_dir);
    for(k = 0; k < sizeof bad/sizeof *bad; ++k){
        unlink(path);
        if(bad[k].text) t_write_file(path, bad[k].text);
        int rc = t_run_child(child_read_tree, path, buf, sizeof buf);
        CHECK(rc == 1, "read_tree, %s: exit status %d, want 1:\n%s", bad[k].what, rc, buf);
        CHECK(strstr(buf, path) && strstr(buf, bad[k].needle), "read_tree, %s: message lacks the file or '%s':\n%s",
              bad[k].what, bad[k].needle, buf);
    }
    memset(name, 'n', 300);
    name[300] = 0;
    FILE *f = fopen(path, "w");
    fprintf(f, "a -1\n%s 0\n", name);
    fclose(f);
    int rc = t_run_child(child_read_tree, path, buf, sizeof buf);
    CHECK(rc == 1 && strstr(buf, "line 2"), "read_tree, a name of 300 bytes: exit status %d, want 1 naming line 2:\n%s", rc, buf);

    t_write_file(path, "a -1\nb -1\nc 0\nd 0\ne 2\n");
    tree *t = read_tree(path);
    CHECK(t->n == 5 && t->groups == 3, "read_tree: %d nodes in %d groups, want 5 in 3", t->n, t->groups);
    CHECK(t->parent[4] == 2 && t->child[0] == 1 && t->child[2] == 2 && t->leaf[4] && !t->leaf[2] && strcmp(t->name[3], "d") == 0,
          "read_tree: parent[4] %d, child[0] %d, leaf[4] %d, leaf[2] %d, name[3] '%s'",
          t->parent[4], t->child[0], t->leaf[4], t->leaf[2], t->name[3]);
    unlink(path);
}

/* Patch 0426: a box centred at (0, 0), which correct_boxes drops (x = y = 999999), is not written
 * into fill_truth_region's grid (upstream wrote at cell 6999993 of a 7x7 grid); the other box is. */
static void test_fill_truth_region(void)
{
    char path[300], label[300];
    snprintf(path, sizeof path, "%s/images", tree_dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/labels", tree_dir);
    mkdir(path, 0700);
    snprintf(label, sizeof label, "%s/labels/x.txt", tree_dir);
    t_write_file(label, "1 0 0 0.5 0.5\n2 0.5 0.5 0.2 0.2\n");
    snprintf(path, sizeof path, "%s/images/x.jpg", tree_dir);
    enum { side = 7, classes = 3, per = 5 + classes };
    float grid[side*side*per];
    memset(grid, 0, sizeof grid);
    fill_truth_region(path, grid, classes, side, 0, 0, 0, 1, 1);
    int cell, objects = 0;
    for(cell = 0; cell < side*side; ++cell) objects += grid[cell*per] != 0;
    int mid = (3 + 3*side)*per;
    CHECK(objects == 1 && grid[mid] == 1 && grid[mid + 1 + 2] == 1,
          "fill_truth_region: %d objects, centre cell %g class 2 %g; want the one box at (3, 3)",
          objects, grid[mid], grid[mid + 3]);
    unlink(label);
}

/* Patch 0308: network_predict (train 0, no input gradient asked) leaves the layers' deltas as they
 * are; a forward that trains, or one asked for the input's gradient (net->delta set, as nightmare
 * does before backward_network), still zeroes them first. */
static void test_predict_keeps_delta(void)
{
    char cfg[4200];
    snprintf(cfg, sizeof cfg, "%s/delta.cfg", tree_dir);
    FILE *f = fopen(cfg, "w");
    CHECK(f != 0, "cannot write %s", cfg);
    if(!f) return;
    fputs("[net]\nbatch=2\nheight=4\nwidth=4\nchannels=1\n\n[convolutional]\nfilters=2\nsize=3\npad=1\n"
          "activation=leaky\n", f);
    fclose(f);
    network *net = parse_network_cfg(cfg);
    layer *l = &net->layers[0];
    float x[32], g[32];
    int i, n = l->outputs*l->batch, kept = 1, zeroed = 1;
    for(i = 0; i < 32; ++i) x[i] = 0.1f*i;
    fill_cpu(n, 7, l->delta, 1);
    network_predict(net, x);
    for(i = 0; i < n; ++i) kept &= l->delta[i] == 7;
    CHECK(kept, "network_predict changed a layer's delta");
    network orig = *net;   /* free_network frees the network's own input buffer */
    net->input = x;
    net->train = 0;
    net->delta = g;
    forward_network(net);
    for(i = 0; i < n; ++i) zeroed &= l->delta[i] == 0;
    CHECK(zeroed, "a forward asked for the input's gradient did not zero the deltas");
    fill_cpu(n, 7, l->delta, 1);
    net->delta = 0;
    net->train = 1;
    forward_network(net);
    for(i = 0, zeroed = 1; i < n; ++i) zeroed &= l->delta[i] == 0;
    CHECK(zeroed, "a training forward did not zero the deltas");
    *net = orig;
    free_network(net);
    remove(cfg);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    test_im2col();
    test_conv_backward(1, 0);
    test_conv_backward(3, 1);
    test_conv_1x1_strided(2, 0);
    test_conv_1x1_strided(1, 1);
    test_conv_1x1_strided(2, 2);
    test_batchnorm_standalone();
    test_activations_large_inputs();
    test_l2norm_zero();
    test_resize_one_pixel();
    test_fgetl_nul();
    if(!mkdtemp(tree_dir)){ perror("mkdtemp"); return 2; }
    test_read_tree();
    test_fill_truth_region();
    test_predict_keeps_delta();
    t_done_with_dir(tree_dir);
    test_normalization(8, 5, 1.f);
    test_normalization(8, 4, 1.f);
    test_normalization(2, 6, 1.f);
    test_normalization(8, 5, 3000.f);
    return t_finish();
}
