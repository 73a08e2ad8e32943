/* det_iou, det_class_ap and det_class_ap_coco (src/det_map.c), the arithmetic of `detector map`,
 * against cases worked out by hand: PASCAL VOC's matching (score order, the highest-IoU truth, one
 * detection per truth), its all-point average precision under the precision envelope, and that AP
 * averaged over COCO's IoU thresholds. */
#include "testutil.h"

#include "det_map.h"

static det_box B(int image, float score, float x, float y, float w, float h)
{
    det_box b = {image, score, x, y, w, h};
    return b;
}

/* AP of dets against truths of nimages images; start[] from the image of each truth (sorted). */
static float ap_of(det_box *dets, int nd, const det_box *truths, int nt, int nimages, float thr, int *tp)
{
    int start[16] = {0}, i, k = 0;
    for(i = 0; i <= nimages; ++i){
        while(k < nt && truths[k].image < i) ++k;
        start[i] = k;
    }
    start[nimages] = nt;
    return det_class_ap(dets, nd, truths, start, nimages, thr, tp);
}

/* evaluates got once: det_class_ap sorts its detections */
#define CHECK_AP(got, want) do { float g_ = (got), w_ = (want); \
    CHECK(fabsf(g_ - w_) < 1e-6f, "AP %.7f, expected %.7f", g_, w_); } while(0)

int main(int argc, char **argv)
{
    t_init(argc, argv);
    det_box a = B(0, 0, .5f, .5f, .2f, .2f), b = B(0, 0, .6f, .5f, .2f, .2f), far = B(0, 0, .9f, .9f, .1f, .1f);
    CHECK(fabsf(det_iou(&a, &a) - 1) < 1e-6f, "IoU of a box with itself %g", det_iou(&a, &a));
    CHECK(fabsf(det_iou(&a, &b) - 1.f/3) < 1e-6f, "IoU of half-shifted boxes %g, expected 1/3", det_iou(&a, &b));
    CHECK(fabsf(det_iou(&b, &a) - det_iou(&a, &b)) < 1e-7f, "IoU not symmetric");
    CHECK(det_iou(&a, &far) == 0, "IoU of disjoint boxes %g", det_iou(&a, &far));
    det_box q = B(0, 0, .5f, .5f, .25f, .25f), touch = B(0, 0, .75f, .5f, .25f, .25f);   /* exact in binary */
    det_box empty = B(0, 0, .5f, .5f, 0, 0);
    CHECK(det_iou(&q, &touch) == 0, "IoU of boxes sharing an edge %g", det_iou(&q, &touch));
    CHECK(det_iou(&empty, &empty) == 0, "IoU of empty boxes %g", det_iou(&empty, &empty));

    int tp;
    /* two truths; TP (.9), FP (.8), TP (.7): precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1;
       envelope 1, 2/3, 2/3: AP = 1/2*1 + 1/2*2/3 */
    {
        det_box t[] = {B(0, 0, .3f, .3f, .2f, .2f), B(0, 0, .7f, .7f, .2f, .2f)};
        det_box d[] = {B(0, .7f, .7f, .7f, .2f, .2f), B(0, .9f, .3f, .3f, .2f, .2f), B(0, .8f, .5f, .9f, .1f, .1f)};
        float ap = ap_of(d, 3, t, 2, 1, .5f, &tp);
        CHECK_AP(ap, .5f + .5f*2/3);
        CHECK(tp == 2, "true positives %d, expected 2", tp);
        CHECK(d[0].score == .9f && d[1].score == .8f && d[2].score == .7f, "detections not sorted by score");
    }
    /* a second detection of the same object is a false positive after the first */
    {
        det_box t[] = {a};
        det_box d[] = {B(0, .9f, .5f, .5f, .2f, .2f), B(0, .8f, .5f, .5f, .2f, .2f)};
        CHECK_AP(ap_of(d, 2, t, 1, 1, .5f, &tp), 1.f);
        CHECK(tp == 1, "true positives %d, expected 1", tp);
    }
    /* IoU 1/3 is a miss at 0.5 and a hit at 0.3 */
    {
        det_box t[] = {a};
        det_box d[] = {B(0, .9f, .6f, .5f, .2f, .2f)};
        CHECK_AP(ap_of(d, 1, t, 1, 1, .5f, &tp), 0.f);
        CHECK_AP(ap_of(d, 1, t, 1, 1, .3f, &tp), 1.f);
    }
    /* a detection matches truths of its own image only */
    {
        det_box t[] = {B(0, 0, .5f, .5f, .2f, .2f), B(1, 0, .2f, .2f, .2f, .2f)};
        det_box d[] = {B(1, .9f, .5f, .5f, .2f, .2f), B(0, .8f, .5f, .5f, .2f, .2f)};
        float ap = ap_of(d, 2, t, 2, 2, .5f, &tp);
        /* FP then TP: precision 0, 1/2 at recall 0, 1/2: AP = 1/2 * 1/2 */
        CHECK_AP(ap, .25f);
        CHECK(tp == 1, "true positives %d, expected 1", tp);
    }
    /* VOC's rule: the detection goes to the truth it overlaps most; when that one is taken it is a
       false positive even if another truth overlaps it by more than the threshold */
    {
        det_box t[] = {B(0, 0, .5f, .5f, .4f, .4f), B(0, 0, .55f, .5f, .4f, .4f)};
        det_box d[] = {B(0, .9f, .5f, .5f, .4f, .4f), B(0, .8f, .52f, .5f, .4f, .4f)};
        CHECK(det_iou(d + 1, t) > det_iou(d + 1, t + 1) && det_iou(d + 1, t + 1) > .5f, "case set-up");
        CHECK_AP(ap_of(d, 2, t, 2, 1, .5f, &tp), .5f);
        CHECK(tp == 1, "true positives %d, expected 1", tp);
    }
    /* equal scores keep their order: FP first gives AP 1/2, TP first 1 */
    {
        det_box t[] = {a};
        det_box d1[] = {B(0, .5f, .9f, .9f, .1f, .1f), B(0, .5f, .5f, .5f, .2f, .2f)};
        det_box d2[] = {B(0, .5f, .5f, .5f, .2f, .2f), B(0, .5f, .9f, .9f, .1f, .1f)};
        CHECK_AP(ap_of(d1, 2, t, 1, 1, .5f, &tp), .5f);
        CHECK_AP(ap_of(d2, 2, t, 1, 1, .5f, &tp), 1.f);
    }
    /* no detections: 0; no truths: -1 (left out of the mean) */
    {
        det_box t[] = {a};
        CHECK_AP(ap_of(0, 0, t, 1, 1, .5f, &tp), 0.f);
        det_box d[] = {B(0, .9f, .5f, .5f, .2f, .2f)};
        CHECK(ap_of(d, 1, t, 0, 1, .5f, &tp) == -1, "a class without truths should give -1");
    }
    /* a longer ranking against a direct computation of the same definition: 5 truths in 3 images,
       10 detections: hits at ranks 1, 3, 4, 7, 10 (precision 1, 2/3, 3/4, 4/7, 1/2) */
    {
        det_box t[] = {B(0, 0, .2f, .2f, .1f, .1f), B(0, 0, .6f, .6f, .1f, .1f), B(1, 0, .2f, .2f, .1f, .1f),
                       B(1, 0, .6f, .6f, .1f, .1f), B(2, 0, .4f, .4f, .1f, .1f)};
        int hit[10] = {1, 0, 1, 1, 0, 0, 1, 0, 0, 1}, i, h = 0;
        det_box d[10];
        for(i = 0; i < 10; ++i){
            if(hit[i]){ d[i] = t[h++]; d[i].score = 1 - .05f*i; }
            else d[i] = B(i % 3, 1 - .05f*i, .9f, .1f, .05f, .05f);
        }
        float p[10], r[10], want = 0;
        int tpc = 0;
        for(i = 0; i < 10; ++i){ tpc += hit[i]; p[i] = (float)tpc/(i + 1); r[i] = tpc/5.f; }
        for(i = 0; i < 10; ++i){
            float best = 0, prev = i ? r[i - 1] : 0;
            int j;
            for(j = i; j < 10; ++j) if(p[j] > best) best = p[j];
            want += (r[i] - prev)*best;
        }
        /* by hand: 0.2*(1 + 3/4 + 3/4 + 4/7 + 1/2) */
        CHECK(fabsf(want - .2f*(1 + .75f + .75f + 4.f/7 + .5f)) < 1e-6f, "reference %g", want);
        CHECK_AP(ap_of(d, 10, t, 5, 3, .5f, &tp), want);
        CHECK(tp == 5, "true positives %d, expected 5", tp);
    }
    /* over IoU 0.50, 0.55, ..., 0.95: a detection shifted by 0.03 has IoU 0.17/0.23 = 0.739 with
       its truth, a hit at the five thresholds up to 0.70 and a miss at the five from 0.75: 1/2 */
    {
        det_box t[] = {a};
        det_box d[] = {B(0, .9f, .53f, .5f, .2f, .2f)};
        int start[2] = {0, 1};
        CHECK(fabsf(det_iou(d, t) - .17f/.23f) < 1e-5f, "case set-up: IoU %g", det_iou(d, t));
        CHECK_AP(det_class_ap_coco(d, 1, t, start, 1), .5f);
        det_box exact[] = {a};
        exact[0].score = .9f;
        CHECK_AP(det_class_ap_coco(exact, 1, t, start, 1), 1.f);
        int none[2] = {0, 0};
        CHECK(det_class_ap_coco(d, 1, t, none, 1) == -1, "a class without truths should give -1");
    }
    return t_finish();
}
