/* libFuzzer harness: a classifier's .data file and the files it names, read as `classifier train`
 * reads them. The input holds up to four files separated by lines "----": the .data file, a
 * labels file, an image list and a tree file, written as in.data, labels.txt, train.list and
 * tree.txt in the harness's folder (the seeds' .data files name those). read_data_cfg reads the
 * .data file; check_cfg_classifier_data (src/check_cfg.c, patch 0506) checks it against a
 * 2-output network (the whole list, 'labels', 'classes', 'top', 'backup'); then, as
 * train_classifier and its loader do, get_labels, get_paths and fill_truth for each listed path
 * (the label found in the path; patch 0504), and read_tree for a 'tree' key (patch 0425).
 * (Found here: with a 'tree' key check_cfg_classifier_data did not compare the labels file with
 * 'classes', and fill_truth read past a shorter one; now the labels and the tree must both have
 * 'classes' lines: corpus/data/tree-fewer-labels.) */
#include "fuzz.h"
#include "darknet.h"
#include "check_cfg.h"
#include "option_list.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void fill_truth(char *path, char **labels, int k, float *truth);   /* data.c's, not in data.h */

static void read_data(void *arg)
{
    network net;
    memset(&net, 0, sizeof net);
    net.outputs = 2;
    list *options = read_data_cfg("in.data");
    check_cfg_classifier_data("in.data", options, &net, "train", 1);
    char *tree_file = option_find_str(options, "tree", 0);
    if(tree_file) net.hierarchy = read_tree(tree_file);
    int classes = option_find_int(options, "classes", 2);
    char **labels = get_labels(option_find_str(options, "labels", "data/labels.list"));
    list *plist = get_paths(option_find_str(options, "train", "data/train.list"));
    char **paths = (char **)list_to_array(plist);
    float truth[4096];
    int i;
    if(classes > 4096) return;
    /* tag=1: classifier train loads tagged data (TAG_DATA, a label file per image) and reads no
       labels list, so fill_truth is not called (a false report of an earlier version of this
       harness, build/fuzz/crashes/data/crash-f433..., 2026-12-04) */
    if(option_find_int_quiet(options, "tag", 0)) return;
    for(i = 0; i < plist->size && i < 64; ++i) fill_truth(paths[i], labels, classes, truth);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    const uint8_t *part[4];
    size_t len[4];
    if(!init){
        mkdir(fuzz_path("backup"), 0755);
        init = 1;
    }
    fuzz_split(data, size, 4, part, len);
    fuzz_write("in.data", part[0], len[0]);
    fuzz_write("labels.txt", part[1], len[1]);
    fuzz_write("train.list", part[2], len[2]);
    fuzz_write("tree.txt", part[3], len[3]);
    fuzz_guard_in_dir(read_data, 0);
    return 0;
}
