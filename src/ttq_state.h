/* Exact resume of training: the optimiser state saved beside each weights file that training
 * writes, and a seeded, reproducible data order (`classifier train` / `detector train` -seed N). */
#ifndef TTQ_STATE_H
#define TTQ_STATE_H

#include <pthread.h>
#include <stddef.h>
#include "darknet.h"

/* The optimiser state file of the weights file `weightfile`: "<weightfile>.state" (free it). */
char *ttq_state_path(const char *weightfile);

/* Writes the optimiser state of `net` to "<weightfile>.state", through a fresh temporary beside it
 * ("<weightfile>.state.tmp.XXXXXX", output_file.h) renamed when complete (removed on failure; a
 * write error ends the program naming the file): the momentum (weight, bias and scale updates;
 * Wp/Wn updates of [ternary]), the Adam moments and Adam's step count, the images seen and a digest
 * of the weights file, which tie it to the weights saved beside it, and the run's -seed and CPU
 * thread count, which a resume compares with its own.
 * Layout (host byte order, as the weights files; docs/formats.md):
 *   char tag[4] "TTQS"; int32 version (3); int32 layers; int32 t (Adam's step); uint64 seen;
 *   uint64 FNV-1a digest of the weights file (version >= 2); int32 seed (-1: none), int32 threads
 *   (version 3);
 *   per layer: int32 type (LAYER_TYPE), int32 arrays; per array: int32 kind (TTQ_STATE_*),
 *              int32 count, float values[count];
 *   uint64 FNV-1a hash of every byte before it.
 * Versions 1 and 2 are read too. */
void ttq_state_save(network *net, const char *weightfile);

/* Reads "<weightfile>.state" into `net` (CPU and, under GPU, the device copies), after load_network
 * read `weightfile`. A missing file prints a one-line notice and returns 0 (training goes on with
 * the state at zero, as before); a file that is not a state file, is damaged, or does not match
 * the network or the weights (layer count, a layer's type, its arrays and their sizes, the images
 * seen) ends the program with one message naming the file (and the layer) before anything is
 * changed. Returns 1 when the state was loaded. */
int ttq_state_load(network *net, const char *weightfile);

/* The training run's -seed (negative: none), recorded by ttq_state_save and compared by
 * ttq_state_load: a state saved with another seed, or none, is loaded with a line saying that
 * the data order from there on differs from the uninterrupted run's (likewise another CPU thread
 * count: the sums then round differently). Set by classifier and detector train before
 * ttq_train_start. */
void ttq_state_set_seed(int seed);

/* Where training starts, right after load_network(cfgfile, weightfile, clear) (classifier and
 * detector train; `clear` and `resume` are the -clear and -resume options):
 *  - no weights file, or -clear: iteration 0 of the cfg's schedule (load_network zeroed the
 *    images seen);
 *  - weights saved at iteration 0 (Darknet's `partial`, converted weights): iteration 0;
 *  - weights with their optimiser state beside them ("<weights>.state", written by training):
 *    the state is loaded (ttq_state_load refuses one of another cfg or other weights) and training
 *    continues the run where it stopped;
 *  - weights past iteration 0 without a state file: ambiguous (fine-tuning from another run's
 *    weights, e.g. FP weights for a TTQ cfg, or continuing a run whose state was lost), so the
 *    program ends with a message asking for -clear (this cfg's schedule from iteration 0) or
 *    -resume (continue at the weights' iteration, the optimiser state at zero);
 *  - and in every case that continues a run, an iteration at or past the cfg's max_batches is an
 *    error (upstream trained nothing, or one epoch at the tail of the schedule, and exited 0).
 * -clear with -resume is an error; so is -resume without a weights file. Prints one line saying
 * where training starts when it does not start at 0. */
void ttq_train_start(network *net, const char *cfgfile, const char *weightfile, int clear, int resume);

/* Before training: takes an exclusive lock (flock) on "<backup>/<base>.lock", created if missing
 * (O_NOFOLLOW: a link planted there is refused), held until the process ends, so that a second
 * training of the same cfg into the same backup folder is refused with one message naming the folder
 * and the pid holding it, instead of both writing the same weights and state files. */
void ttq_train_lock(const char *datacfg, const char *backup, const char *base);

/* Before training, as check_cfg_backup_names: the longest state file training writes in the
 * backup folder, "<backup>/<base>_<N>.weights.state.tmp.XXXXXX", has a name the system can open; else one
 * message naming the .data file and its key 'backup'. */
void ttq_state_check_names(const char *datacfg, const char *backup, const char *base);

/* The array kinds of a state file (numbers stable across versions). */
enum {
    TTQ_STATE_WEIGHT_UPDATES = 1, TTQ_STATE_BIAS_UPDATES, TTQ_STATE_SCALE_UPDATES,
    TTQ_STATE_M, TTQ_STATE_V, TTQ_STATE_BIAS_M, TTQ_STATE_BIAS_V, TTQ_STATE_SCALE_M, TTQ_STATE_SCALE_V,
    TTQ_STATE_WP_UPDATES, TTQ_STATE_WN_UPDATES, TTQ_STATE_WP_M, TTQ_STATE_WP_V, TTQ_STATE_WN_M,
    TTQ_STATE_WN_V, TTQ_STATE_KINDS
};

/* The data loader for training batch `batch` (the value get_current_batch will have when the
 * batch is trained). seed < 0: Darknet's load_data(args), unchanged (its loader threads draw from
 * rand() in a racy order). seed >= 0: srand(ttq_seed_mix(seed, batch)), then the batch is loaded
 * in one loader thread and joined before this returns, so that neither the order of rand() draws
 * among loader threads nor their interleaving with the training thread's own draws (dropout,
 * random resizing) depends on timing; the returned thread has nothing left to do and is joined
 * as load_data's would be. A batch's data thus depends on the seed and the batch number only, and
 * a run resumed at batch k loads what the uninterrupted run loaded. */
pthread_t ttq_load_data_seeded(load_args args, int seed, size_t batch);
/* The srand() seed of batch `batch` under -seed `seed`: a hash of the two. */
unsigned ttq_seed_mix(int seed, size_t batch);

#endif
