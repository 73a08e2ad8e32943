/* Checks around Darknet's .weights loader (src/parser.c, patched to call these).
 *
 * Upstream reads each layer's floats with unchecked fread: a truncated, corrupt or mismatched
 * file loads silently as garbage. The rules here:
 *  - a file that ends exactly between two layer records is a partial file (pretrained backbones
 *    such as darknet53.conv.74 are made that way): the remaining layers keep their initial values
 *    and a note says so;
 *  - a file that ends inside a record is truncated: error;
 *  - a record holding NaN or Inf, or a negative rolling variance (batch norm's running estimate
 *    of a variance, never below 0 in a saved file), is corrupt: error;
 *  - bytes left over after the last layer mean the file was not saved from this cfg: error;
 *  - a packed [ternary] record (`darknet ternary pack`) where the cfg has another layer: error.
 * Every error names the file and the layer and exits with status 1 (check_load_error,
 * check_error.c). Saving refuses a layer holding NaN or Inf the same way, before the previous file
 * is replaced. The [ternary] records themselves are read and written by ternary_layer.c; the two
 * tag tests that tell them from ordinary records are here. */
#include "check_weights.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_error.h"
#include "network.h"
#include "output_file.h"

int check_weights_record_is_packed(FILE *fp, long start)
{
    uint32_t tag;   /* pread: the stream's position and end-of-file state stay as they are */
    return start >= 0 && pread(fileno(fp), &tag, sizeof tag, start) == sizeof tag && tag == TTQ_PACKED_TAG;
}

int check_weights_next_is_ternary(FILE *fp)
{
    uint32_t tag;
    long pos = ftell(fp);
    if(pos < 0) return 0;
    size_t got = fread(&tag, sizeof tag, 1, fp);
    if(fseek(fp, pos, SEEK_SET) != 0) return 0;
    clearerr(fp);
    return got == 1 && tag == TTQ_RECORD_TAG;
}

static long file_size(FILE *fp)
{
    long pos = ftell(fp);
    if(pos < 0 || fseek(fp, 0, SEEK_END) != 0) return -1;
    long end = ftell(fp);
    fseek(fp, pos, SEEK_SET);
    return end;
}

void check_weights_header(FILE *fp, const char *filename, size_t got, size_t want)
{
    if(ferror(fp)) check_load_error(filename, -1, 0, "read error in the header (%ld of %ld fields)", (long)got, (long)want);
    if(got != want){
        check_load_error(filename, -1, 0, "too short to be a Darknet weights file (header has %ld of "
                         "%ld fields)", (long)got, (long)want);
    }
}

static int all_finite(const float *x, int n)
{
    return check_finite_array(x, n) == (size_t)n;
}

/* 1 when the parameters a layer's record holds are all finite; *nbn = the number of batch-norm
 * channels among them (0 for none). */
static int record_finite(layer l, int *nbn)
{
    int ok = 1;
    *nbn = 0;
    if(l.type == CONVOLUTIONAL || l.type == DECONVOLUTIONAL || l.type == TERNARY){
        ok = all_finite(l.biases, l.n) && all_finite(l.weights, l.nweights);
        if(l.batch_normalize && !l.dontloadscales) *nbn = l.n;
    } else if(l.type == CONNECTED){
        ok = all_finite(l.biases, l.outputs) && all_finite(l.weights, l.outputs*l.inputs);
        if(l.batch_normalize && !l.dontloadscales) *nbn = l.outputs;
    } else if(l.type == BATCHNORM){
        *nbn = l.c;
    }
    if(*nbn){
        ok = ok && all_finite(l.scales, *nbn) && all_finite(l.rolling_mean, *nbn)
                && all_finite(l.rolling_variance, *nbn);
    }
    if(l.type == TERNARY) ok = ok && all_finite(l.wp, l.ttq_nscales) && all_finite(l.wn, l.ttq_nscales);
    return ok;
}

/* Called after layer `index` was read starting at byte `start`. Returns 1 when the file ended
 * cleanly before this layer (stop loading), 0 to go on. */
int check_weights_layer(FILE *fp, const char *filename, int index, layer l, long start)
{
    long end = ftell(fp);
    const char *type = get_layer_string(l.type);
    if(l.type != TERNARY && end != start && check_weights_record_is_packed(fp, start)){
        check_load_error(filename, index, type, "the file holds a packed [ternary] record here (byte "
                         "%ld): make this section [ternary]", start);
    }
    if(ferror(fp)) check_load_error(filename, index, type, "read error at byte %ld (%ld)", end, (long)errno);
    if(feof(fp)){
        if(end == start){
            if(index == 0) fprintf(stderr, "\nnote: %s holds no layer's weights (a header only); every layer "
                                   "keeps its initial values\n", filename);
            else fprintf(stderr, "\nnote: %s holds weights for layers 0..%d only; the rest keep their "
                         "initial values\n", filename, index - 1);
            return 1;
        }
        check_load_error(filename, index, type, "file is truncated: the record starts at byte %ld but "
                         "the file ends at byte %ld", start, end);
    }
    int nbn;
    if(!record_finite(l, &nbn)){
        check_load_error(filename, index, type, "corrupt record (NaN or Inf) between bytes %ld and %ld",
                         start, end);
    }
    int i;
    for(i = 0; i < nbn; ++i){
        if(l.rolling_variance[i] < 0){
            check_load_error(filename, index, type, "corrupt record: negative rolling variance (filter "
                             "%d; the record starts at byte %ld)", i, start);
        }
    }
    return 0;
}

void check_weights_end(FILE *fp, const char *filename, int nlayers)
{
    long pos = ftell(fp);
    long size = file_size(fp);
    if(pos >= 0 && size > pos){
        check_load_error(filename, -1, 0, "%ld bytes left over after the %d layers of the cfg: this file "
                         "was not saved from this cfg (different layers, filters or sizes)",
                         size - pos, nlayers);
    }
}

void check_weights_not_ternary(FILE *fp, const char *filename, int index)
{
    if(check_weights_next_is_ternary(fp)){
        check_load_error(filename, -1, 0, "layer %d is [convolutional] in the cfg but the file holds a "
                         "[ternary] record (latent weights, Wp, Wn) for it: make that section [ternary]",
                         index);
    }
}

void check_weights_saved_layer(FILE *fp, const char *filename, int index, layer l)
{
    int nbn;
    if(record_finite(l, &nbn)) return;
    output_discard(fp);
    check_file_error(output_user_name(filename), -1, 0, "not saved: layer %d (%s) holds NaN or Inf (training "
                     "diverged: lower learning_rate, or check the data); the file saved before, if any, is kept",
                     index, get_layer_string(l.type));
}

void check_weights_written(FILE *fp, const char *filename)
{
    /* Flushed here, so that an error of the last buffered writes (a full disk shows there, at
       the flush) is seen while the temporary file can still be removed; output_close then syncs
       it and renames it over the previous weights. */
    errno = 0;
    if(fflush(fp) != 0 || ferror(fp)){
        int e = errno;
        output_discard(fp);
        check_file_error(output_user_name(filename), -1, 0, "error writing weights: %s (the previous weights file, "
                         "if any, is kept)", strerror(e ? e : EIO));
    }
}
