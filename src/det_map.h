#ifndef DET_MAP_H
#define DET_MAP_H

#include "darknet.h"

/* Detection accuracy for `darknet detector map` (src/det_map.c). */

typedef struct {
    int image;          /* index of the image in the valid list */
    float score;        /* class probability (detections); unused for truths */
    float x, y, w, h;   /* centre and size, relative to the image */
} det_box;

/* Intersection over union of two boxes given by centre and size; 0 when either is empty. */
float det_iou(const det_box *a, const det_box *b);

/* Average precision of one class, as PASCAL VOC (2010 and later) computes it. dets: the class's
 * detections over all images, in any order (sorted here by descending score; equal scores keep
 * their order). truths: the class's ground-truth boxes ordered by image, the ones of image i being
 * truths[truth_start[i]] .. truths[truth_start[i+1] - 1], for 0 <= i < nimages. Each detection, in
 * score order, is matched to the truth of its image with the highest IoU; it is a true positive
 * when that IoU is >= iou_thresh and the truth was not matched before, else a false positive. AP
 * is the area under the precision/recall curve after precision is made non-increasing (every
 * point, no 11-point sampling). Returns -1 when the class has no truth. tp (may be 0) receives
 * the number of true positives. */
float det_class_ap(det_box *dets, int ndets, const det_box *truths, const int *truth_start,
                   int nimages, float iou_thresh, int *tp);

/* The mean of det_class_ap over the IoU thresholds 0.50, 0.55, ..., 0.95 (COCO's thresholds, with
 * VOC's all-point AP at each). Returns -1 when the class has no truth. */
float det_class_ap_coco(det_box *dets, int ndets, const det_box *truths, const int *truth_start,
                        int nimages);

/* darknet detector map DATA CFG WEIGHTS [-iou T]: runs the network on every image of the .data
 * file's valid list, reads each image's labels as detector training does, and prints AP per class
 * and their mean, at iou_thresh and over IoU 0.50:0.95. Bad input stops with a message naming the file and key. */
void run_detector_map(char *datacfg, char *cfgfile, char *weightfile, float iou_thresh);
/* For scoring another engine's outputs with the same boxes, NMS and AP (bench/onnx.sh): when set,
 * called after each image's forward with the image's index in the valid list, to replace the
 * outputs of the network's detection layers before the boxes are read. NULL in the commands. */
extern void (*det_map_outputs)(network *net, int image);

#endif
