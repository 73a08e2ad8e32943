/* Tests for patch 0601, random erasing ([net] erase):
 *  - random_erase_image: p = 0 never changes an image; p = 1 changes exactly one rectangle, the same
 *    in every channel, filled with values in [0, 1], of an area and height/width ratio within the
 *    bounds asked for; the noise is uniform; p = 0.5 erases about half the images; over many draws every pixel is reached
 *    (the placement covers the whole image, edges included);
 *  - the classifier loader (load_data, CLASSIFICATION_DATA) erases training images when erase > 0
 *    and never the center crops validation uses.
 * The cfg keys' error messages are tested by t_cfg_errors.sh. */
#include "testutil.h"

#include "darknet.h"

/* bounding box and count of the pixels of channel c that differ from v */
static int changed_box(image im, int c, float v, int *x0, int *y0, int *x1, int *y1)
{
    int x, y, n = 0;
    *x0 = im.w; *y0 = im.h; *x1 = -1; *y1 = -1;
    for(y = 0; y < im.h; ++y) for(x = 0; x < im.w; ++x){
        if(im.data[(c*im.h + y)*im.w + x] == v) continue;
        ++n;
        if(x < *x0) *x0 = x;
        if(y < *y0) *y0 = y;
        if(x > *x1) *x1 = x;
        if(y > *y1) *y1 = y;
    }
    return n;
}

static void test_never_when_p0(void)
{
    image im = make_image(17, 13, 3);
    int i, j;
    for(i = 0; i < 200; ++i){
        fill_image(im, -1);
        CHECK(random_erase_image(im, 0, .02, .4, 3) == 0, "p = 0 reported an erase");
        for(j = 0; j < im.w*im.h*im.c; ++j) if(im.data[j] != -1) break;
        CHECK(j == im.w*im.h*im.c, "p = 0 changed pixel %d", j);
    }
    free_image(im);
}

/* p = 1: one rectangle, same in every channel, noise in [0, 1], area and ratio within bounds
   (up to the rounding of the sides to whole pixels) */
static void test_one_rectangle(int w, int h, float amin, float amax, float aspect)
{
    image im = make_image(w, h, 3);
    int i, c, erased = 0;
    for(i = 0; i < 500; ++i){
        int x0, y0, x1, y1;
        fill_image(im, -1);
        int r = random_erase_image(im, 1, amin, amax, aspect);
        int n = changed_box(im, 0, -1, &x0, &y0, &x1, &y1);
        if(!r){
            CHECK(n == 0, "%dx%d: no erase reported but %d pixels changed", w, h, n);
            continue;
        }
        ++erased;
        int ew = x1 - x0 + 1, eh = y1 - y0 + 1;
        CHECK(n == ew*eh, "%dx%d: changed pixels (%d) are not a filled rectangle (%dx%d)", w, h, n, ew, eh);
        for(c = 1; c < 3; ++c){
            int a0, b0, a1, b1;
            int m = changed_box(im, c, -1, &a0, &b0, &a1, &b1);
            CHECK(m == n && a0 == x0 && b0 == y0 && a1 == x1 && b1 == y1,
                  "%dx%d: channel %d's rectangle differs from channel 0's", w, h, c);
        }
        for(c = 0; c < im.w*im.h*im.c; ++c){
            float v = im.data[c];
            CHECK(v == -1 || (v >= 0 && v <= 1), "%dx%d: erased value %g outside [0, 1]", w, h, v);
        }
        /* the sides are sqrt(A r) and sqrt(A / r) rounded to whole pixels, A within
           [amin, amax] of the image and r within [1/aspect, aspect]: allow half a pixel on each */
        double k = sqrt(aspect) + 1/sqrt(aspect);
        double lo = amin*w*h - .5*sqrt(amin*w*h)*k + .25;
        double hi = amax*w*h + .5*sqrt(amax*w*h)*k + .25;
        CHECK(n >= lo - 1e-9 && n <= hi + 1e-9, "%dx%d: area %d outside [%g, %g]", w, h, n, lo, hi);
        CHECK((eh + .5)/(ew - .5) >= 1/aspect - 1e-9, "%dx%d: %dx%d is too flat", w, h, ew, eh);
        CHECK((eh - .5)/(ew + .5) <= aspect + 1e-9, "%dx%d: %dx%d is too tall", w, h, ew, eh);
    }
    /* the bounds asked for fit the image, so nearly every draw should succeed */
    CHECK(erased >= 450, "%dx%d: only %d of 500 draws erased", w, h, erased);
    free_image(im);
}

/* the noise is uniform on [0, 1]: mean, quartiles and no long runs of one value, over many
   erased pixels */
static void test_noise(void)
{
    image im = make_image(32, 32, 3);
    double sum = 0, n = 0, below = 0, above = 0;
    int i, j, same = 0;
    for(i = 0; i < 300; ++i){
        fill_image(im, -1);
        random_erase_image(im, 1, .2, .4, 2);
        float prev = -2;
        for(j = 0; j < im.w*im.h*im.c; ++j){
            float v = im.data[j];
            if(v == -1) continue;
            sum += v; ++n;
            below += v < .25f;
            above += v > .75f;
            same += v == prev;
            prev = v;
        }
    }
    CHECK(n > 100000, "only %g erased values", n);
    CHECK(fabs(sum/n - .5) < .01, "noise mean %g, expected 0.5", sum/n);
    CHECK(fabs(below/n - .25) < .01 && fabs(above/n - .25) < .01, "noise quartiles %g, %g, expected 0.25",
          below/n, above/n);
    CHECK(same < n/1000, "%d neighbouring noise values repeat", same);
    free_image(im);
}

static void test_probability_and_coverage(void)
{
    image im = make_image(32, 32, 1);
    int *hits = calloc(32*32, sizeof(int));
    int i, j, n = 4000, erased = 0;
    for(i = 0; i < n; ++i){
        fill_image(im, -1);
        erased += random_erase_image(im, .5f, .02, .4, 3);
        for(j = 0; j < 32*32; ++j) hits[j] += im.data[j] != -1;
    }
    /* binomial(4000, 0.5): sd 32 */
    CHECK(erased > n/2 - 200 && erased < n/2 + 200, "p = 0.5 erased %d of %d images", erased, n);
    for(j = 0; j < 32*32; ++j) if(hits[j] == 0) break;
    CHECK(j == 32*32, "pixel (%d, %d) was never erased in %d draws", j%32, j/32, n);
    /* corners are reached less often than the centre, but they are reached */
    CHECK(hits[0] > 0 && hits[31] > 0 && hits[32*31] > 0 && hits[32*32 - 1] > 0, "a corner was never erased");
    free(hits);
    free_image(im);
}

/* the loader: a flat grey training image gets a rectangle of noise with erase = 1, none with
   erase = 0 or with center crops */
static int noisy_pixels(image im, float v)
{
    int i, n = 0;
    for(i = 0; i < im.w*im.h*im.c; ++i) n += fabsf(im.data[i] - v) > .02f;
    return n;
}

static void test_loader(void)
{
    char dir[] = "/tmp/ttq-erase.XXXXXX", base[300], file[320];
    char *labels[] = {"grey", "other"};
    int i, round;
    if(!mkdtemp(dir)){ CHECK(0, "mkdtemp failed"); return; }
    snprintf(base, sizeof base, "%s/img_grey", dir);
    snprintf(file, sizeof file, "%s.png", base);
    image g = make_image(16, 16, 3);
    fill_image(g, .5);
    save_image_options(g, base, PNG, 0);
    char *paths[8];
    for(i = 0; i < 8; ++i) paths[i] = file;
    for(round = 0; round < 3; ++round){
        load_args a = {0};
        data d;
        a.paths = paths; a.n = 8; a.m = 0; a.labels = labels; a.classes = 2;
        a.min = 16; a.max = 16; a.size = 16; a.w = 16; a.h = 16; a.threads = 2;
        a.exposure = 1; a.saturation = 1; a.hue = 0; a.aspect = 1;
        a.erase_min = .1; a.erase_max = .3; a.erase_aspect = 2;
        a.erase = (round == 1) ? 0 : 1;
        a.center = (round == 2);
        a.type = CLASSIFICATION_DATA;
        a.d = &d;
        pthread_t t = load_data(a);
        pthread_join(t, 0);
        CHECK(d.X.rows == 8 && d.X.cols == 16*16*3, "loader gave %dx%d", d.X.rows, d.X.cols);
        for(i = 0; i < d.X.rows; ++i){
            image im = float_to_image(16, 16, 3, d.X.vals[i]);
            int n = noisy_pixels(im, 128/255.f);
            if(round == 0) CHECK(n > 0, "erase = 1: training image %d was not erased", i);
            else CHECK(n == 0, "%s: image %d has %d changed values", round == 1 ? "erase = 0" : "center crop", i, n);
        }
        free_data(d);
    }
    free_image(g);
    remove(file);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    t_init(argc, argv);
    srand(12345);
    test_never_when_p0();
    test_one_rectangle(32, 32, .02, .4, 3);
    test_one_rectangle(28, 20, .1, .1, 1);
    test_one_rectangle(9, 31, .05, .5, 4);
    test_one_rectangle(64, 64, .3, .3, 2);
    test_noise();
    test_probability_and_coverage();
    test_loader();
    return t_finish();
}
