/* Detection accuracy: `darknet detector map DATA CFG WEIGHTS [-iou T]`.
 *
 * Upstream Darknet (pjreddie) has no mAP: `detector valid` writes VOC result files for an external
 * script, and `detector recall` reads a fixed COCO list. This command computes what detection
 * papers report, PASCAL VOC's average precision per class (all points of the precision/recall
 * curve, VOC 2010 and later) at one IoU threshold, 0.5 by default, and the mean over classes.
 * Images and labels are found as `detector train` finds them (the .data file's valid list; each
 * image's labels in the .txt file its path leads to), and the network sees each image letterboxed
 * to its input size as in `detector valid`, with the same score threshold (0.005) and NMS (0.45),
 * and boxes clipped to the image as `detector valid` writes them. It also prints the mean of that AP
 * over the IoU thresholds 0.50, 0.55, ..., 0.95 (COCO's main figure, mAP@[.50:.95], but with VOC's
 * all-point AP where COCO samples 101 recall points, and without COCO's area ranges or its limit of
 * 100 detections per image).
 *
 * det_iou and det_class_ap are pure and tested against hand-computed cases (tests/test_det_map.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "darknet.h"
#include "check_cfg.h"
#include "check_error.h"
#include "det_map.h"

float det_iou(const det_box *a, const det_box *b)
{
    float w = fminf(a->x + a->w/2, b->x + b->w/2) - fmaxf(a->x - a->w/2, b->x - b->w/2);
    float h = fminf(a->y + a->h/2, b->y + b->h/2) - fmaxf(a->y - a->h/2, b->y - b->h/2);
    if(w <= 0 || h <= 0) return 0;
    float inter = w*h, uni = a->w*a->h + b->w*b->h - inter;
    return uni > 0 ? inter/uni : 0;
}

static int by_score(const void *pa, const void *pb)
{
    const det_box *a = pa, *b = pb;
    if(a->score != b->score) return a->score > b->score ? -1 : 1;
    return 0;
}

/* qsort is not stable; equal scores keep their order through a merge sort. */
static void sort_by_score(det_box *d, int n)
{
    if(n < 2) return;
    int i, j, k, half = n/2;
    sort_by_score(d, half);
    sort_by_score(d + half, n - half);
    det_box *tmp = check_malloc(n, sizeof *tmp, "the detections being sorted (detector map)");
    for(i = 0, j = half, k = 0; i < half || j < n; ){
        if(j == n || (i < half && by_score(d + i, d + j) <= 0)) tmp[k++] = d[i++];
        else tmp[k++] = d[j++];
    }
    memcpy(d, tmp, n*sizeof *tmp);
    free(tmp);
}

float det_class_ap(det_box *dets, int ndets, const det_box *truths, const int *truth_start,
                   int nimages, float iou_thresh, int *tp_out)
{
    int npos = truth_start[nimages] - truth_start[0];
    if(tp_out) *tp_out = 0;
    if(npos <= 0) return -1;
    sort_by_score(dets, ndets);
    char *used = check_calloc(truth_start[nimages] + 1, 1, "the matched truths of a class (detector map)");
    float *prec = check_malloc(ndets + 1, sizeof *prec, "a precision/recall curve (detector map)");
    float *rec = check_malloc(ndets + 1, sizeof *rec, "a precision/recall curve (detector map)");
    int i, k, tp = 0, fp = 0;
    for(i = 0; i < ndets; ++i){
        int im = dets[i].image, best = -1;
        float best_iou = 0;
        if(im >= 0 && im < nimages){
            for(k = truth_start[im]; k < truth_start[im + 1]; ++k){
                float iou = det_iou(dets + i, truths + k);
                if(iou > best_iou){ best_iou = iou; best = k; }
            }
        }
        if(best >= 0 && best_iou >= iou_thresh && !used[best]){
            used[best] = 1;
            ++tp;
        } else {
            ++fp;
        }
        prec[i] = (float)tp/(tp + fp);
        rec[i] = (float)tp/npos;
    }
    /* precision envelope: the best precision at this recall or any higher one */
    for(i = ndets - 2; i >= 0; --i) if(prec[i + 1] > prec[i]) prec[i] = prec[i + 1];
    double ap = 0, last_rec = 0;
    for(i = 0; i < ndets; ++i){
        ap += (rec[i] - last_rec)*prec[i];
        last_rec = rec[i];
    }
    free(used);
    free(prec);
    free(rec);
    if(tp_out) *tp_out = tp;
    return (float)ap;
}

float det_class_ap_coco(det_box *dets, int ndets, const det_box *truths, const int *truth_start,
                        int nimages)
{
    double sum = 0;
    int q;
    for(q = 0; q < 10; ++q){
        float ap = det_class_ap(dets, ndets, truths, truth_start, nimages, (50 + 5*q)/100.f, 0);
        if(ap < 0) return -1;
        sum += ap;
    }
    return (float)(sum/10);
}

/* ---- the command ------------------------------------------------------------------------------ */

typedef struct {
    det_box *b;
    int n, cap;
} box_list;

static void push_box(box_list *l, det_box b)
{
    if(l->n == l->cap){
        l->cap = l->cap ? 2*l->cap : 256;
        l->b = check_realloc(l->b, l->cap, sizeof *l->b, "a list of boxes (detector map)");
    }
    l->b[l->n++] = b;
}

/* A detection in pixels clipped to the image (w x h) and made relative to it, as `detector valid`
   writes it for VOC's scripts. */
static det_box clipped(int image, float score, box b, int w, int h)
{
    float x0 = fmaxf(0, b.x - b.w/2), x1 = fminf(w, b.x + b.w/2);
    float y0 = fmaxf(0, b.y - b.h/2), y1 = fminf(h, b.y + b.h/2);
    det_box d = {image, score, (x0 + x1)/2/w, (y0 + y1)/2/h, fmaxf(0, x1 - x0)/w, fmaxf(0, y1 - y0)/h};
    return d;
}

void (*det_map_outputs)(network *net, int image);

void run_detector_map(char *datacfg, char *cfgfile, char *weightfile, float iou_thresh)
{
    if(!check_finite(iou_thresh) || iou_thresh <= 0 || iou_thresh > 1){
        check_file_error("detector map", -1, 0, "-iou %g: expected a number in (0, 1]", iou_thresh);
    }
    list *options = read_data_cfg(datacfg);
    network *net = load_network(cfgfile, weightfile, 0);
    int classes = check_cfg_detector_data(datacfg, options, net, cfgfile, "valid", 0, 0);
    char **names = get_labels(option_find_str(options, "names", "data/names.list"));
    char *valid = option_find_str(options, "valid", "data/train.list");
    set_batch_network(net, 1);
    list *plist = get_paths(valid);
    char **paths = (char **)list_to_array(plist);
    int m = plist->size, i, j, k;

    const char *what = "the boxes of each class (detector map)";
    box_list *dets = check_calloc(classes, sizeof *dets, what);
    box_list *truths = check_calloc(classes, sizeof *truths, what);
    int **start = check_calloc(classes, sizeof *start, what);
    for(j = 0; j < classes; ++j) start[j] = check_calloc(m + 1, sizeof **start, what);
    const float thresh = .005f, nms = .45f;
    long nobjects = 0;
    double t0 = what_time_is_it_now();
    for(i = 0; i < m; ++i){
        char lpath[4096];
        detection_label_path(paths[i], lpath);  /* where training looks (patch 0602) */
        if(!strcmp(lpath, paths[i])){
            check_file_error("detector map", -1, 0, "image %s (list %s, key 'valid' of %s): no label file "
                             "can be derived from its path (Darknet replaces 'images' by 'labels' and "
                             ".jpg/.png by .txt)", paths[i], valid, datacfg);
        }
        FILE *lf = fopen(lpath, "r");
        if(!lf){
            check_file_error("detector map", -1, 0, "no label file %s for image %s (list %s, key 'valid' "
                             "of %s)", lpath, paths[i], valid, datacfg);
        }
        fclose(lf);
        int nl = 0;
        box_label *bl = read_boxes(lpath, &nl);
        for(j = 0; j < classes; ++j) start[j][i] = truths[j].n;
        for(k = 0; k < nl; ++k){
            if(bl[k].id < 0 || bl[k].id >= classes){
                check_file_error(lpath, -1, 0, "box %d has class %d, expected 0..%d (classes=%d in %s)",
                                 k + 1, bl[k].id, classes - 1, classes, datacfg);
            }
            det_box t = {i, 0, bl[k].x, bl[k].y, bl[k].w, bl[k].h};
            push_box(&truths[bl[k].id], t);
            ++nobjects;
        }
        free(bl);

        image im = load_image_color(paths[i], 0, 0);
        image sized = letterbox_image(im, net->w, net->h);
        float *out = network_predict(net, sized.data);
        if(det_map_outputs) det_map_outputs(net, i);
        check_cfg_prediction(cfgfile, weightfile, out, net->outputs, paths[i]);
        int nboxes = 0;
        /* boxes in pixels, as `detector valid` has them: its NMS then keeps the same boxes (the IoU
           of two boxes in relative coordinates can round to the other side of 0.45) */
        detection *d = get_network_boxes(net, im.w, im.h, thresh, .5, 0, 0, &nboxes);
        do_nms_sort(d, nboxes, classes, nms);
        for(k = 0; k < nboxes; ++k){
            for(j = 0; j < classes; ++j){
                if(d[k].prob[j] <= thresh) continue;
                push_box(&dets[j], clipped(i, d[k].prob[j], d[k].bbox, im.w, im.h));
            }
        }
        free_detections(d, nboxes);
        free_image(im);
        free_image(sized);
        if((i + 1) % 500 == 0 || i + 1 == m) fprintf(stderr, "detector map: %d of %d images\n", i + 1, m);
    }
    for(j = 0; j < classes; ++j) start[j][m] = truths[j].n;

    printf("detector map: %s (%d images, %ld objects), %s, %s; IoU >= %.2f\n", valid, m, nobjects,
           cfgfile, weightfile ? weightfile : "no weights", iou_thresh);
    printf("  %-16s %8s %11s %8s %9s %12s\n", "class", "objects", "detections", "found", "AP",
           "AP@[.50:.95]");
    double sum = 0, sum_coco = 0;
    int counted = 0;
    for(j = 0; j < classes; ++j){
        int tp;
        float ap = det_class_ap(dets[j].b, dets[j].n, truths[j].b, start[j], m, iou_thresh, &tp);
        if(ap < 0){
            printf("  %-16s %8d %11d %8s %9s\n", names[j], 0, dets[j].n, "-", "(no objects)");
        } else {
            float apc = det_class_ap_coco(dets[j].b, dets[j].n, truths[j].b, start[j], m);
            printf("  %-16s %8d %11d %8d %7.2f %% %10.2f %%\n", names[j], truths[j].n, dets[j].n, tp,
                   100*ap, 100*apc);
            sum += ap;
            sum_coco += apc;
            ++counted;
        }
        free(dets[j].b);
        free(truths[j].b);
        free(start[j]);
        free(names[j]);
    }
    if(counted){
        printf("mAP@%.2f = %.2f %% (mean over %d classes with objects; %.1f s)\n", iou_thresh,
               100*sum/counted, counted, what_time_is_it_now() - t0);
        printf("mAP@[.50:.95] = %.2f %% (mean over IoU 0.50, 0.55, ..., 0.95 of the classes' all-point AP)\n",
               100*sum_coco/counted);
    }
    else printf("mAP@%.2f: no class has an object in %s\n", iou_thresh, valid);
    free(dets);
    free(truths);
    free(start);
    free(names);
    free(paths);
    free_list_contents(plist);
    free_list(plist);
    free_network(net);
}
