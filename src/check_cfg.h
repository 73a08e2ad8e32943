#ifndef CHECK_CFG_H
#define CHECK_CFG_H
/* Strict checks of cfg values (every section), of classifier and detector .data files, and of the
   loss and outputs of a running network. Upstream Darknet reads numbers with atoi/atof and silently
   takes 0 for text, falls back to ReLU or a constant rate for unknown names, and divides by or
   indexes with whatever it read, so a typo trains the wrong network or crashes. Each check here
   ends the program with one message naming the cfg file, the section, the key and what was
   expected: check_cfg_error (check_error.h). */
#include "darknet.h"
#include "list.h"
#include "check_error.h"

/* Before a cfg or .data file is read line by line (read_cfg, read_data_cfg): a text file whose
   lines the reader can split. A NUL byte (the line reader stopped at it and joined the rest to
   the next line) and a carriage return that does not end a line (CR line endings: the file read
   as one line) end the program with one message naming the file, the line and the byte. CRLF is
   accepted; the reader drops the CR. */
void check_cfg_text(const char *filename);

/* A float cfg value: def when the key is absent (*raw, when raw is not NULL, is then NULL, else the
   text), a fatal check_cfg_error when it is not one finite number. */
float check_cfg_float(list *options, const char *cfgfile, const char *section, int index,
                    const char *key, float def, const char **raw);
/* An integer cfg value in [lo, hi]: def when the key is absent, else fatal unless the whole text
   is one integer in range. */
int check_cfg_int(list *options, const char *cfgfile, const char *section, int index,
                  const char *key, int def, int lo, int hi, const char *expected);
/* The activation named by `activation`, def when absent; fatal for a name Darknet lacks. */
ACTIVATION check_cfg_activation(list *options, const char *cfgfile, const char *section, int index,
                                ACTIVATION def);

/* The keys [convolutional] and [ternary] share (filters, size, stride, pad, padding, groups,
   activation, batch_normalize, flipped, dot), for a layer whose input is h x w x c. */
void check_cfg_conv(list *options, const char *cfgfile, const char *section, int index,
                    int h, int w, int c);
/* [net]: batch, subdivisions, input size, optimiser, augmentation and learning-rate schedule. */
void check_cfg_net(list *options, const char *cfgfile);
/* Any section after [net] but [ternary] (which parse_ternary checks): a type Darknet knows, and
   the keys of the common layer types. index is the layer's number; h, w, c and inputs describe
   the previous layer's output. */
void check_cfg_layer(const char *type, list *options, const char *cfgfile, int index,
                     int h, int w, int c, int inputs);

/* After a section is parsed: each key no part of Darknet read. A key Darknet does not know at all
   (a typo: 'filtres') ends the program with one message naming the file, section and key and,
   where one is close, the known key meant ("did you mean 'filters'?"); a key Darknet knows but
   this section did not read ('steps' under policy=poly) is one warning line (Darknet's "Unused
   field"). */
void check_cfg_unused_keys(list *options, const char *cfgfile, const char *section, int index);
/* 1 when some section of a cfg can hold `key`; the table itself, sorted (*n keys). */
int check_cfg_known_key(const char *key);
const char *const *check_cfg_known_keys(int *n);

/* After check_cfg_layer, before the layer is made: its buffers, in values, fit Darknet's int
   indices. Output sizes and the products Darknet computes in int (outputs x batch, weights,
   im2col's columns) are computed here in 64 bits; one above INT_MAX (upstream: an int overflow,
   then a short allocation and a segmentation fault) is a cfg error naming the section and the
   key that sets it. batch is the network's per-step batch (batch / subdivisions x time_steps);
   net holds the layers made so far ([route] adds up theirs).
   It also names this section as the parser's allocation context (check_alloc_context). */
void check_cfg_layer_size(const char *type, list *options, const char *cfgfile, int index,
                          const network *net, int batch, int h, int w, int c, int inputs);

/* A classifier's .data file against the network that reads it; each fault is one message naming
   the .data file and the key. 'classes': an integer equal to the network's outputs (unless a
   'tree' makes them hierarchical); 'labels' ('names' for predict): one line per class; list_key
   ('train', 'valid', 'test'; NULL for none): a list of at least one image; no empty label (it
   would be part of every path); 'top': 1..classes;
   training: 'backup' an existing, writable folder, checked before the first step so that no
   training is lost at the first save. */
void check_cfg_classifier_data(const char *datacfg, list *options, network *net,
                               const char *list_key, int training);

/* The class of image `path` found as training finds it (fill_truth, data.c): the one label of
   labels[0..k-1] its path contains; -1 for a one-label list whose label it lacks. A path matching
   no label (k > 1) or several ends the program with fill_truth's message, as in training. */
int check_cfg_truth_class(char *path, char **labels, int k);

/* After parsing: a [cost] or [logistic] layer, or a [softmax] without noloss, compares its inputs
   with the network's truth, element for element; one with more inputs per image than the truth
   holds (the last layer sets its size: classes, or a detector's boxes) read past the truth buffer.
   Such a layer is a cfg error naming the section. */
void check_cfg_truth_readers(network *net, const char *cfgfile);

/* A detector's .data file against the network: its last layer a [yolo], [region] or [detection]
   (else a message naming the cfg); 'classes', when set, equal to that layer's classes; 'names'
   (not read in training): one line per class; list_key ('train', 'valid'; NULL for none): at least one image; training:
   'backup' an existing, writable folder; results: 'results' (default "results") one too, for
   `detector valid`'s files. Returns the number of classes. Faults end the program with one
   message naming the .data file and the key. */
int check_cfg_detector_data(const char *datacfg, list *options, network *net, const char *cfgfile,
                            const char *list_key, int training, int results);

/* A file path joined by a printf format, allocated at its length (free it): no fixed-size buffer
   to overflow or to cut the path short. */
char *check_cfg_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Before training: each file training writes in the backup folder (datacfg's key 'backup', the
   folder `backup`) for the cfg base name `base` ("<backup>/<base>_<N>.weights", "<base>.backup",
   "<base>_final.weights", "<base>.ttq.csv", each written through "<name>.tmp.XXXXXX") has a name the system
   can open: at most PATH_MAX - 1 bytes, its file name at most NAME_MAX. Else one message naming
   the .data file, the key and the longest name, before the first step rather than at the first
   save. */
void check_cfg_backup_names(const char *datacfg, const char *backup, const char *base);
/* The same check for "<backup>/<base>_<N><suffix>", the message naming the file as `kind`. */
void check_cfg_backup_file_names(const char *datacfg, const char *backup, const char *base,
                                 const char *suffix, const char *kind);

/* Ends training with a message naming the cfg when the loss is NaN or infinite: nothing after
   that point is worth saving, and saving it would overwrite good weights. */
void check_cfg_loss(const char *cfgfile, float loss, long iteration);

/* Ends a prediction or validation command with a message naming the weights file (the cfg when
   there is none) when the network's output for `input` holds NaN or Inf: such weights are corrupt
   or were saved from a diverged training, and the ranks taken from such an output mean nothing. */
void check_cfg_prediction(const char *cfgfile, const char *weightfile, const float *p, int n,
                          const char *input);

#endif
