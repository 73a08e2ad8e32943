/* ortmap: `detector map` on another engine's outputs, for bench/onnx.sh.
 *   ortmap DATA CFG WEIGHTS OUTDIR
 * Runs `detector map` (src/det_map.c) over DATA's valid list, replacing after each image's forward
 * the output of every [yolo] layer j by the image's slice of OUTDIR/yolo_j.f32 (raw float32, the
 * images one after another: what ONNX Runtime gave for the export's graph output yolo_j, on the
 * inputs `netout inputs` wrote). Boxes, NMS and AP are then Darknet's own, so the two mAP lines
 * differ by what the engines computed only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"
#include "det_map.h"

static const char *outdir;

static void replace_outputs(network *net, int image)
{
    int j;
    for(j = 0; j < net->n; ++j){
        layer l = net->layers[j];
        if(l.type != YOLO) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/yolo_%d.f32", outdir, j);
        FILE *f = fopen(path, "rb");
        if(!f || fseek(f, (long)image*l.outputs*sizeof(float), SEEK_SET) ||
           fread(l.output, sizeof(float), l.outputs, f) != (size_t)l.outputs){
            fprintf(stderr, "ortmap: %s: no outputs of image %d\n", path, image);
            exit(1);
        }
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    if(argc != 5){
        fprintf(stderr, "usage: ortmap DATA CFG WEIGHTS OUTDIR\n");
        return 2;
    }
    outdir = argv[4];
    det_map_outputs = replace_outputs;
    run_detector_map(argv[1], argv[2], argv[3], .5f);
    return 0;
}
