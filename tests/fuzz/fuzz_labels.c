/* libFuzzer harness: the detection label reader. The input is a label file ("class x y w h" per
 * line) at images/x.jpg's label path (labels/x.txt, patch 0602); fill_truth_detection reads it
 * through read_boxes (patch 0512: every line checked), checks the classes against a 20-class
 * layer, shuffles, moves and flips the boxes as detector training does, and writes up to 90 truths;
 * fill_truth_region does the same for a 7x7 [region]/[detection] grid. */
#include "fuzz.h"
#include "darknet.h"
#include "data.h"

#include <sys/stat.h>

/* data.c's, not in data.h */
void fill_truth_detection(char *path, int num_boxes, float *truth, int classes, int flip,
                          float dx, float dy, float sx, float sy);
void fill_truth_region(char *path, float *truth, int classes, int num_boxes, int flip,
                       float dx, float dy, float sx, float sy);

static void read_labels(void *path)
{
    float truth[90*5], grid[7*7*(5 + 20)];
    fill_truth_detection((char *)path, 90, truth, 20, 1, 0.1f, -0.05f, 0.8f, 1.25f);
    fill_truth_region((char *)path, grid, 20, 7, 0, 0.f, 0.f, 1.f, 1.f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if(!init){
        mkdir(fuzz_path("images"), 0755);
        mkdir(fuzz_path("labels"), 0755);
        init = 1;
    }
    fuzz_write("labels/x.txt", data, size);
    /* a relative path: the label path replaces words such as "raw" anywhere in the path */
    fuzz_guard_in_dir(read_labels, (void *)"images/x.jpg");
    return 0;
}
