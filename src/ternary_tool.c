/* `darknet ternary ...`: inspection commands for networks with [ternary] (TTQ) layers.
 *
 *   darknet ternary info <cfg> [weights]
 *       one line per [ternary] layer: Wp, Wn, the threshold delta and the fraction of zero
 *       ternary weights that the next forward would use, max|w| of the latent weights; then the
 *       weight storage of the network as FP32 and packed (base-3 codes + scales, `ternary pack`).
 *
 *   darknet ternary plot <telemetry.csv> <out.png>
 *       with gnuplot (Debian: gnuplot-nox; its pngcairo terminal), the paper's pictures of training: Wp and Wn of every [ternary] layer over
 *       the epochs (top), and each layer's sparsity, the fraction of zero ternary weights (bottom).
 *       The CSV is the one `classifier train` or `detector train` writes beside the backup weights.
 *
 *   darknet ternary fold <cfg> <weights> <out.cfg> <out.weights>
 *       the same network for readers that know no [ternary]: every [ternary] section becomes a
 *       [convolutional] holding the ternary weights {+Wp, 0, -Wn} that the layer's forward uses
 *       (stock Darknet, OpenCV's DNN module). See ternary_tool.h.
 *
 *   darknet ternary pack <cfg> <weights> <out.weights> [-calib <data> [-n N]]
 *       the same weights file with each [ternary] layer's weights as base-3 codes, five to a byte
 *       (1.6 bits per weight) beside Wp/Wn; it loads wherever the original does (our build).
 *
 * Outputs (all four commands' files) must be new names: an output that is an input, another
 * output, or an existing non-regular file is refused before anything is read. Each is written
 * under a fresh temporary name beside it (output_file.h) and renamed when complete and checked; a
 * failure leaves no output and no temporary.
 * gnuplot runs without a shell, its script and data on its standard input: no file name and no
 * text of the CSV is ever part of what it interprets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "darknet.h"
#include "check_error.h"
#include "output_file.h"
#include "onnx_export.h"
#include "ternary_int8.h"
#include "int_graph.h"
#include "network.h"
#include "ternary_layer.h"
#include "ttq.h"
#include "ttq_int8.h"
#include "ternary_tool.h"
#include "utils.h"

#include <sys/stat.h>

extern char **environ;

static void ternary_info(char *cfgfile, char *weightfile)
{
    network *net = load_network(cfgfile, weightfile, 0);
    int i, nt = 0, nf = 0;
    double fp_bytes = 0, tern_bytes = 0;
    int nint = 0;
    printf("%5s %-8s %7s %9s %10s %10s %10s %9s %10s %10s %4s %7s %5s\n", "layer", "type", "filters", "weights",
           "Wp", "Wn", "delta", "zeros", "max|w|", "in-scale", "zero", "lvl-err", "path");
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type == TERNARY){
            ternarize_ternary_layer(l);
            size_t z = ttq_count_zeros_ref(l.ternary_weights, l.nweights);
            float m = ttq_threshold_ref(l.weights, l.nweights, 1);
            int k = l.ttq_nscales;
            float sc;
            int zero;
            char scs[32] = "-", zs[8] = "-";
            if(ternary_int_get_scale(l, &sc, &zero)){
                snprintf(scs, sizeof scs, "%.4g", sc);
                snprintf(zs, sizeof zs, "%d", zero);
            }
            const char *path = ternary_int_path(l);
            nint += !strcmp(path, "int8");
            printf("%5d %-8s %7d %9d %10.5f %10.5f %10.6f %8.2f%% %10.6f %10s %4s %6.3f%% %5s\n", i,
                   k > 1 ? "ternaryF" : "ternary", l.n, l.nweights, ternary_mean(l.wp, k),
                   ternary_mean(l.wn, k), ternary_mean(l.ttq_delta, k), 100.0*z/l.nweights, m, scs, zs,
                   100.0*ternary_int_level_error(l), path);
            ++nt;
            nf += k > 1;
            fp_bytes += 4.0*l.nweights;
            tern_bytes += ttq_packed_size(l.nweights) + 8.0*l.ttq_nscales;
        } else if(l.type == CONVOLUTIONAL || l.type == DECONVOLUTIONAL){
            fp_bytes += 4.0*l.nweights;
            tern_bytes += 4.0*l.nweights;
        } else if(l.type == CONNECTED){
            fp_bytes += 4.0*l.inputs*l.outputs;
            tern_bytes += 4.0*l.inputs*l.outputs;
        }
    }
    if(nf) printf("ternaryF: per_filter=1, a Wp, Wn and delta for each filter; the table shows their "
                  "means\n");
    printf("in-scale, zero: the activation scale of the layer's input (`ternary pack -calib`), '-' for none; "
           "lvl-err: the relative error of Wp, Wn as integer levels (ttq_int8.h); path: where inference runs. "
           "%d of %d [ternary] layers on the integer path, kernels %s%s\n", nint, nt, ternary_int_kernels(),
           ternary_int_mode() == 0 ? " (DARKNET_TTQ_INT8=0: the float path)" : "");
    printf("%d [ternary] layers; weights of the convolutional and connected layers (biases and BN "
           "excluded): %.1f KiB as FP32, %.1f KiB with the ternary layers as `ternary pack` writes them "
           "(base-3 codes, 1.6 bits per weight, + Wp/Wn); the file size ratio that pack prints counts "
           "whole files\n", nt, fp_bytes/1024, tern_bytes/1024);
    if(net->int_graph){
        /* the whole network on integers (int_graph.h): each layer's path and its tensors' codings */
        printf("\nthe integer graph (the whole network; `ternary pack -calib`):\n%5s %-13s %5s %10s %4s %10s %4s\n",
               "layer", "type", "path", "in-scale", "zero", "out-scale", "zero");
        for(i = 0; i < net->n; ++i){
            const char *path;
            float is, os;
            int iz, oz;
            char iss[32] = "-", izs[8] = "-", oss[32] = "-", ozs[8] = "-";
            if(!int_graph_layer(net, i, &path, &is, &iz, &os, &oz)) break;
            if(is > 0){
                snprintf(iss, sizeof iss, "%.4g", is);
                snprintf(izs, sizeof izs, "%d", iz);
            }
            if(os > 0){
                snprintf(oss, sizeof oss, "%.4g", os);
                snprintf(ozs, sizeof ozs, "%d", oz);
            }
            printf("%5d %-13s %5s %10s %4s %10s %4s\n", i, net->layers[i].type == UPSAMPLE ? "upsample" :
                   get_layer_string(net->layers[i].type),
                   ternary_int_mode() == 0 ? "float" : path, iss, izs, oss, ozs);
        }
        printf("%d of %d layers on integers%s; float: the layer types the graph does not run ([connected], "
               "[softmax], [yolo], ...), and layers whose input has no coding\n", int_graph_integer_layers(net),
               net->n, ternary_int_mode() == 0 ? " (DARKNET_TTQ_INT8=0: none, the float path)" : "");
    }
    free_network(net);
}

/* ---- outputs: refused when they are inputs, written through output_file.h ----------------------
 * Every command here writes each output under a fresh temporary name beside it and renames it only
 * when it is complete and checked (output_file.h); a temporary is removed if the program ends
 * first. So a failed command leaves neither a partial output nor a temporary. */

/* path's folder ("." when it names none) and its last component, split in buf */
static const char *split_path(const char *path, char *buf, size_t n, const char **base)
{
    const char *slash = strrchr(path, '/');
    if(!slash){
        *base = path;
        return ".";
    }
    *base = slash + 1;
    if(slash == path) return "/";
    if((size_t)(slash - path) >= n) return 0;
    memcpy(buf, path, slash - path);
    buf[slash - path] = 0;
    return buf;
}

/* 1 when a and b name the same file: the same inode where both exist, the same name in the same
 * folder where one does not exist yet ("o.cfg" and "./o.cfg"). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if(!strcmp(a, b)) return 1;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if(ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if(ea || eb) return 0;
    char da[4096], db[4096];
    const char *ba, *bb, *pa = split_path(a, da, sizeof da, &ba), *pb = split_path(b, db, sizeof db, &bb);
    if(!pa || !pb || strcmp(ba, bb)) return 0;
    return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Refuses, before anything is read or written, a set of output names where one is an input or
 * another output (out[] lists every name that will be written: the outputs and their temporary
 * names), or an output that exists and is not a regular file (a folder, a FIFO, a device), which
 * the rename would replace. `what` ends the message ("must be new files, ..."). */
static void check_outputs(const char *cmd, const char *const *in, int nin, const char *const *out, int nout,
                          const char *what)
{
    int i, j;
    struct stat st;
    for(i = 0; i < nout; ++i){
        if(!out[i][0]) check_file_error(cmd, -1, 0, "an output name is empty");
        if(stat(out[i], &st) == 0 && !S_ISREG(st.st_mode)){
            check_file_error(out[i], -1, 0, "exists and is not a regular file (a folder, FIFO or device): the output "
                             "must be a file of its own, which is replaced only when complete");
        }
        for(j = 0; j < nin; ++j){
            if(same_file(out[i], in[j])) check_file_error(cmd, -1, 0, "%s is the input %s: %s", out[i], in[j], what);
        }
        for(j = 0; j < i; ++j){
            if(same_file(out[i], out[j])) check_file_error(cmd, -1, 0, "%s and %s are one file: %s", out[j], out[i], what);
        }
    }
}

/* ---- plot ------------------------------------------------------------------------------------ */

/* The telemetry CSV, read and checked: the layer numbers of its LN_wp columns, and per row the
 * epoch and each layer's Wp, Wn and sparsity (cols = 1 + 3*layers numbers a row). */
typedef struct {
    int layers[512], nlayers, rows, cols;
    double *v;
} telemetry;

/* field k (0-based) of a CSV line as a number; 0 when it is missing or not a number */
static int csv_field(const char *line, int k, double *x)
{
    const char *p = line;
    char *end;
    while(k-- > 0){
        p = strchr(p, ',');
        if(!p) return 0;
        ++p;
    }
    *x = strtod(p, &end);
    return end != p && (*end == ',' || *end == '\n' || *end == '\r' || *end == 0);
}

static telemetry read_telemetry(const char *csv)
{
    telemetry t = {{0}, 0, 0, 0, 0};
    FILE *f = fopen(csv, "r");
    if(!f) check_file_error(csv, -1, 0, "cannot open telemetry file: %s", strerror(errno));
    static char line[65536];
    if(!fgets(line, sizeof line, f) || strncmp(line, "iteration,epoch,images,loss,avg_loss", 36)){
        check_file_error(csv, -1, 0, "not a TTQ telemetry CSV (unexpected header)");
    }
    char *p = line;
    while((p = strstr(p, ",L")) && t.nlayers < 512){
        int id, len = 0;
        if(sscanf(p, ",L%d_wp%n", &id, &len) == 1 && len > 0) t.layers[t.nlayers++] = id;
        p += 2;
    }
    if(t.nlayers == 0) check_file_error(csv, -1, 0, "no [ternary] layer columns to plot");
    t.cols = 1 + 3*t.nlayers;
    size_t cap = 0;
    int lineno = 1;
    while(fgets(line, sizeof line, f)){
        ++lineno;
        if(!strchr(line, '\n') && !feof(f)) check_file_error(csv, -1, 0, "line %d is too long", lineno);
        if(line[0] == '\n' || line[0] == '\r') continue;
        if((size_t)(t.rows + 1)*t.cols > cap){
            cap = cap ? 2*cap : 64*(size_t)t.cols;
            t.v = check_realloc(t.v, cap, sizeof(double), "ternary plot: the telemetry");
        }
        double *r = t.v + (size_t)t.rows*t.cols;
        int i, ok = csv_field(line, 1, &r[0]);
        for(i = 0; i < t.nlayers && ok; ++i){
            ok = csv_field(line, 5 + 5*i, &r[1 + 3*i]) && csv_field(line, 6 + 5*i, &r[2 + 3*i]) &&
                 csv_field(line, 8 + 5*i, &r[3 + 3*i]);
        }
        if(!ok) check_file_error(csv, -1, 0, "line %d: a missing or malformed number", lineno);
        ++t.rows;
    }
    if(ferror(f)) check_file_error(csv, -1, 0, "read error: %s", strerror(errno));
    fclose(f);
    if(t.rows == 0) check_file_error(csv, -1, 0, "no rows to plot");
    return t;
}

/* The gnuplot script: the data inline (a datablock of numbers printed here), so that neither a
 * file name nor a byte of the CSV is ever part of gnuplot's input; no `set output`: the PNG goes
 * to gnuplot's standard output. */
static char *plot_script(const telemetry *t, size_t *size)
{
    char *buf = 0;
    FILE *g = open_memstream(&buf, size);
    if(!g) check_file_error("ternary plot", -1, 0, "out of memory for the gnuplot script");
    int i, r;
    fprintf(g, "set terminal pngcairo size 1200,1000 font ',10'\n$ttq << EOD\n");
    for(r = 0; r < t->rows; ++r){
        for(i = 0; i < t->cols; ++i){
            double x = t->v[(size_t)r*t->cols + i];
            if(check_finite((float)x)) fprintf(g, "%s%.9g", i ? " " : "", x);
            else fprintf(g, "%sNaN", i ? " " : "");
        }
        fputc('\n', g);
    }
    fprintf(g, "EOD\n"
               "set key outside right top\n"
               "set grid\n"
               "set multiplot layout 2,1 title 'TTQ training: %d [ternary] layers, %d rows'\n"
               "set title 'Scales per [ternary] layer: Wp (solid, above 0) and -Wn (dashed, below 0)'\n"
               "set xlabel 'epoch'\nset ylabel 'ternary value'\n"
               "plot ", t->nlayers, t->rows);
    for(i = 0; i < t->nlayers; ++i){
        fprintf(g, "%s$ttq using 1:%d with lines lw 2 lc %d title 'L%d Wp', "
                   "$ttq using 1:(-$%d) with lines lw 2 dt 2 lc %d notitle",
                i ? ", " : "", 2 + 3*i, i + 1, t->layers[i], 3 + 3*i, i + 1);
    }
    fprintf(g, "\nset title 'Sparsity per [ternary] layer (fraction of zero ternary weights)'\n"
               "set ylabel 'sparsity'\nset yrange [0:1]\nplot ");
    for(i = 0; i < t->nlayers; ++i){
        fprintf(g, "%s$ttq using 1:%d with lines lw 2 lc %d title 'L%d'", i ? ", " : "", 4 + 3*i, i + 1,
                t->layers[i]);
    }
    fprintf(g, "\nunset multiplot\n");
    if(ferror(g) | fclose(g)) check_file_error("ternary plot", -1, 0, "out of memory for the gnuplot script");
    return buf;
}

static void set_cloexec(int fd)
{
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

/* Runs gnuplot (posix_spawnp, an argument vector: no shell) with the script on its standard input
 * and its standard output written to the file descriptor fd (every write checked: path names it).
 * Returns the number of bytes written; ends the program on any failure, gnuplot's included. */
static size_t run_gnuplot(const char *script, size_t size, int fd, const char *path, unsigned char *head)
{
    int in[2], out[2];
    if(pipe(in) != 0 || pipe(out) != 0) check_file_error("ternary plot", -1, 0, "pipe: %s", strerror(errno));
    set_cloexec(in[0]); set_cloexec(in[1]); set_cloexec(out[0]); set_cloexec(out[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    char *argv[] = {"gnuplot", 0};
    pid_t pid;
    int e = posix_spawnp(&pid, "gnuplot", &fa, 0, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if(e != 0){
        check_file_error(path, -1, 0, "cannot run gnuplot: %s: is gnuplot installed? (Debian: gnuplot-nox)",
                         strerror(e));
    }
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);   /* gnuplot may stop reading: EPIPE */
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    size_t sent = 0, got = 0;
    int werr = 0;
    char buf[65536];
    for(;;){
        struct pollfd p[2] = {{out[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
        int np = in[1] >= 0 ? 2 : 1;
        if(poll(p, np, -1) < 0){
            if(errno == EINTR) continue;
            werr = errno;
            break;
        }
        if(np == 2 && p[1].revents){
            ssize_t w = write(in[1], script + sent, size - sent);
            if(w > 0) sent += w;
            if((w < 0 && errno != EAGAIN && errno != EINTR) || sent == size){
                close(in[1]);
                in[1] = -1;
            }
        }
        if(p[0].revents){
            ssize_t n = read(out[0], buf, sizeof buf);
            if(n < 0 && errno == EINTR) continue;
            if(n <= 0) break;
            if(got < 8) memcpy(head + got, buf, (size_t)n < 8 - got ? (size_t)n : 8 - got);
            ssize_t off = 0;
            while(off < n){
                ssize_t w = write(fd, buf + off, n - off);
                if(w < 0 && errno == EINTR) continue;
                if(w <= 0){
                    werr = w < 0 ? errno : EIO;
                    break;
                }
                off += w;
            }
            if(werr) break;
            got += n;
        }
    }
    if(in[1] >= 0) close(in[1]);
    close(out[0]);
    if(werr) kill(pid, SIGTERM);
    int status;
    while(waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    signal(SIGPIPE, old_pipe);
    if(werr) check_file_error(path, -1, 0, "error writing the image: %s", strerror(werr));
    if(!WIFEXITED(status) || WEXITSTATUS(status) != 0){
        check_file_error(path, -1, 0, "gnuplot failed (%s %d)", WIFEXITED(status) ? "exit" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    return got;
}

static void ternary_plot(const char *csv, const char *png)
{
    const char *outs[] = {png};
    check_outputs("ternary plot", &csv, 1, outs, 1, "the output must be a new file, not the input CSV");
    telemetry t = read_telemetry(csv);
    size_t size;
    char *script = plot_script(&t, &size);
    FILE *out = output_open(png);
    unsigned char head[8] = {0};
    size_t n = run_gnuplot(script, size, fileno(out), png, head);
    if(n < 8 || memcmp(head, "\x89PNG\r\n\x1a\n", 8)) check_file_error(png, -1, 0, "gnuplot wrote no PNG image");
    output_close(out);
    fprintf(stderr, "wrote %s (%d [ternary] layers, %zu bytes)\n", png, t.nlayers, n);
    free(script);
    free(t.v);
}

/* ---- fold ------------------------------------------------------------------------------------ */

/* Keys that only [ternary] reads; a folded section keeps them as comments. */
static const char *const ttq_only_keys[] = {"threshold", "sparsity", "wp", "wn", "wpwn_decay",
                                            "per_filter", 0};

/* "key=" at the start of a stripped cfg line */
static int has_key(const char *stripped, const char *key)
{
    size_t n = strlen(key);
    return !strncmp(stripped, key, n) && stripped[n] == '=';
}

static int ttq_only_key(const char *stripped)
{
    int i;
    for(i = 0; ttq_only_keys[i]; ++i) if(has_key(stripped, ttq_only_keys[i])) return 1;
    return 0;
}

/* A file name in a comment line of a cfg: control characters (a newline would end the comment and
 * make the rest of the name cfg text) are written as '?'. */
static void put_name_comment(FILE *out, const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    fputs("#   ", out);
    for(; *p; ++p) fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
    fputc('\n', out);
}

/* Darknet's [shortcut] adds a larger layer by sampling every s-th pixel ("option A" of the CIFAR
 * ResNets: 32x32 into 16x16). Readers whose shortcut needs equal sizes (OpenCV's DNN module) get
 * the same computation spelt in layers they know: [route] to the larger layer, a 1x1 [maxpool]
 * with stride s (it picks pixel (s*i, s*j), as the shortcut does), [route] back to the layer before
 * the shortcut, and the shortcut from the maxpool. Returns s, or 0 when the shortcut needs no
 * rewriting (equal sizes, or a smaller layer added to a larger one, which is left as it is). */
static int strided_shortcut(layer l)
{
    if(l.type != SHORTCUT || (l.w == l.out_w && l.h == l.out_h)) return 0;
    if(l.out_w <= 0 || l.out_h <= 0 || l.w % l.out_w || l.h % l.out_h) return 0;
    int s = l.w/l.out_w;
    return s >= 2 && s == l.h/l.out_h ? s : 0;
}

/* A [route] layers= or [shortcut] from= list, each entry moved to the layer's new number. Entries
 * are read as Darknet reads them (atoi); a negative entry stays relative to the layer. */
static void write_renumbered(FILE *out, const char *key, const char *list, int old_i,
                             const int *newidx, int nlayers)
{
    const char *p = list;
    fprintf(out, "%s=", key);
    for(;;){
        int v = atoi(p);
        int t = v < 0 ? old_i + v : v;
        if(t < 0 || t >= nlayers){
            fprintf(out, "%d", v);  /* the parser has rejected this already */
        } else {
            fprintf(out, "%d", v < 0 ? newidx[t] - newidx[old_i] : newidx[t]);
        }
        p = strchr(p, ',');
        if(!p) break;
        ++p;
        fputc(',', out);
    }
    fputc('\n', out);
}

/* cfgfile's text for the folded network, into out_tmp: [ternary] sections renamed and their TTQ
 * keys commented out, strided shortcuts spelt out (above), layer references renumbered. Sections
 * and keys are found as Darknet's read_cfg finds them, on the line with all white space removed.
 * Returns the number of [ternary] sections; *added gets the number of layers inserted. */
static int write_folded_cfg(const char *cfgfile, const char *weightfile, const char *out_tmp,
                            network *net, int *added)
{
    FILE *in = fopen(cfgfile, "r");
    if(!in) check_file_error(cfgfile, -1, 0, "cannot open cfg: %s", strerror(errno));
    int fd = open(out_tmp, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);  /* output_temp's new file */
    FILE *out = fd >= 0 ? fdopen(fd, "w") : 0;
    if(!out) check_file_error(output_user_name(out_tmp), -1, 0, "cannot write folded cfg: %s", strerror(errno));
    int i, n = net->n, shift = 0;
    int *newidx = check_calloc(n, sizeof(int), "ternary fold: layer numbers");
    for(i = 0; i < n; ++i){
        if(strided_shortcut(net->layers[i])) shift += 3;
        newidx[i] = i + shift;
    }
    *added = shift;
    fprintf(out, "# Folded by `darknet ternary fold` from\n");
    put_name_comment(out, cfgfile);
    put_name_comment(out, weightfile);
    fprintf(out, "# Each [ternary] section is a [convolutional] here, holding the ternary weights\n"
                 "# {+Wp, 0, -Wn}.%s\n",
                 shift ? " Strided [shortcut]s are spelt as [route] + 1x1 [maxpool] + [route] +\n"
                         "# [shortcut] (the same computation, for readers such as OpenCV), so\n"
                         "# layer numbers differ from the original cfg's." : "");
    int layer_i = -2, in_ternary = 0, folded = 0, stride = 0;
    char *line;
    while((line = fgetl(in)) != 0){
        char *s = strcpy(check_malloc(strlen(line) + 1, 1, "ternary fold: a cfg line"), line);
        strip(s);
        if(s[0] == '['){
            ++layer_i;  /* the first section is [net] */
            in_ternary = !strcmp(s, "[ternary]");
            stride = layer_i >= 0 && layer_i < n ? strided_shortcut(net->layers[layer_i]) : 0;
            if(stride){
                layer l = net->layers[layer_i];
                fprintf(out, "# strided shortcut: %dx%dx%d (layer %d) sampled every %d pixels\n"
                             "[route]\nlayers=%d\n\n[maxpool]\nsize=1\nstride=%d\n\n"
                             "[route]\nlayers=%d\n\n",
                        l.w, l.h, l.c, newidx[l.index], stride, newidx[l.index], stride,
                        newidx[layer_i - 1]);
            }
            if(in_ternary){
                fprintf(out, "[convolutional]\n");
                ++folded;
            } else {
                fprintf(out, "%s\n", line);
            }
        } else if(in_ternary && ttq_only_key(s)){
            fprintf(out, "# [ternary] only: %s\n", line);
        } else if(stride && has_key(s, "from")){
            fprintf(out, "from=-2\n");
        } else if(layer_i >= 0 && layer_i < n && net->layers[layer_i].type == SHORTCUT &&
                  has_key(s, "from")){
            write_renumbered(out, "from", s + 5, layer_i, newidx, n);
        } else if(layer_i >= 0 && layer_i < n && net->layers[layer_i].type == ROUTE &&
                  has_key(s, "layers")){
            write_renumbered(out, "layers", s + 7, layer_i, newidx, n);
        } else {
            fprintf(out, "%s\n", line);
        }
        free(s);
        free(line);
    }
    fclose(in);
    free(newidx);
    if(ferror(out) | fflush(out) | fclose(out)){
        check_file_error(output_user_name(out_tmp), -1, 0, "error writing folded cfg: %s", strerror(errno));
    }
    return folded;
}

/* The output of the last layer before a final [softmax]/[cost] on a fixed pseudo-random input:
 * the logits, which a saturated softmax would hide. */
static float *fold_probe(network *net, int *n)
{
    int i, last = net->n - 1;
    float *x = check_malloc(net->inputs, sizeof(float), "ternary fold/pack: the probe input");
    unsigned int r = 12345;
    for(i = 0; i < net->inputs; ++i){
        r = r*1103515245u + 12345u;
        x[i] = (r >> 8)/16777216.0f;
    }
    set_batch_network(net, 1);
    ternary_int_force_float = 1;     /* the float network that fold spells out, whatever DARKNET_TTQ_INT8 says */
    network_predict(net, x);
    ternary_int_force_float = 0;
    free(x);
    while(last > 0 && (net->layers[last].type == SOFTMAX || net->layers[last].type == COST)) --last;
    layer l = net->layers[last];
    *n = l.outputs;
    return memcpy(check_malloc(l.outputs, sizeof(float), "ternary fold/pack: the probe output"), l.output,
                  l.outputs*sizeof(float));
}

int ternary_fold(const char *cfgfile, const char *weightfile, const char *out_cfg,
                 const char *out_weights)
{
    if(!cfgfile || !weightfile || !out_cfg || !out_weights){
        check_file_error("ternary fold", -1, 0, "needs a cfg, its weights and two output files");
    }
    /* written: a temporary beside out_cfg and one beside out_weights (save_weights writes a
     * temporary of its own and renames it over that one), checked, then renamed to the outputs */
    const char *ins[] = {cfgfile, weightfile}, *outs[] = {out_cfg, out_weights};
    check_outputs("ternary fold", ins, 2, outs, 2, "the outputs must be new files, not the inputs or one another");
    /* on the CPU: the ternary weights are a pure function of the latent ones */
    int gpu = gpu_index;
    gpu_index = -1;
    network *net = parse_network_cfg((char *)cfgfile);
    int i, nt = 0, added = 0;
    for(i = 0; i < net->n; ++i) nt += net->layers[i].type == TERNARY;
    if(nt == 0) check_file_error(cfgfile, -1, 0, "no [ternary] layer, nothing to fold");
    load_weights(net, (char *)weightfile);

    char *cfg_tmp = output_temp(out_cfg);
    char *w_stage = output_temp(out_weights);
    int ns = write_folded_cfg(cfgfile, weightfile, cfg_tmp, net, &added);
    if(ns != nt){
        check_file_error(cfgfile, -1, 0, "found %d [ternary] sections but the network has %d [ternary] "
                         "layers", ns, nt);
    }

    /* each [ternary] layer saved as the [convolutional] layer it runs: q in place of w */
    float **latent = check_calloc(net->n, sizeof(float *), "ternary fold: the latent weights");
    for(i = 0; i < net->n; ++i){
        layer *l = &net->layers[i];
        if(l->type != TERNARY) continue;
        ternarize_ternary_layer(*l);
        latent[i] = l->weights;
        l->weights = l->ternary_weights;
        l->type = CONVOLUTIONAL;
    }
    save_weights(net, w_stage);
    for(i = 0; i < net->n; ++i){
        if(!latent[i]) continue;
        net->layers[i].weights = latent[i];
        net->layers[i].type = TERNARY;
    }

    /* check: the folded pair computes what the [ternary] network computes */
    int na, nb;
    float *ya = fold_probe(net, &na);
    network *fnet = load_network(cfg_tmp, w_stage, 0);
    float *yb = fold_probe(fnet, &nb);
    double maxd = 0, maxy = 0;
    int finite = check_finite_array(ya, na) == (size_t)na && check_finite_array(yb, nb) == (size_t)nb;
    for(i = 0; i < na && na == nb; ++i){
        double d = fabs((double)ya[i] - yb[i]);
        if(d > maxd) maxd = d;
        if(fabs(ya[i]) > maxy) maxy = fabs(ya[i]);
    }
    free_network(fnet);
    if(na != nb || !finite || maxd > 1e-5*(1 + maxy)){
        check_file_error(cfgfile, -1, 0, "the folded network does not compute what the [ternary] network "
                         "does (outputs %d and %d, max difference %g%s); nothing written", na, nb, maxd,
                         finite ? "" : ", outputs that are NaN or Inf");
    }
    /* the weights, then the cfg: should the second rename fail, the first output is removed too */
    output_commit(w_stage);
    output_hold(out_weights);
    output_commit(cfg_tmp);
    output_release(out_weights);

    fprintf(stderr, "%5s %10s %10s %9s\n", "layer", "Wp", "Wn", "zeros");
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type != TERNARY) continue;
        size_t z = ttq_count_zeros_ref(l.ternary_weights, l.nweights);
        fprintf(stderr, "%5d %10.5f %10.5f %8.2f%%%s\n", i, ternary_mean(l.wp, l.ttq_nscales),
                ternary_mean(l.wn, l.ttq_nscales), 100.0*z/l.nweights,
                l.ttq_nscales > 1 ? "  (per filter: means)" : "");
    }
    fprintf(stderr, "folded %d [ternary] layers into [convolutional]%s: %s, %s; checked: the "
            "outputs differ by at most %g\n", nt,
            added ? " (and spelt out the strided shortcuts: layer numbers moved)" : "",
            out_cfg, out_weights, maxd);
    free(ya);
    free(yb);
    free(latent);
    free_network(net);
    free(cfg_tmp);
    free(w_stage);
    gpu_index = gpu;
    return nt;
}

/* ---- pack ------------------------------------------------------------------------------------ */

static long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The calibration images: n paths spread over the `train` list of the .data file. */
static char **calib_paths(const char *datafile, int *n)
{
    list *options = read_data_cfg((char *)datafile);
    char *train = option_find_str(options, "train", 0);
    if(!train) check_file_error(datafile, -1, 0, "key 'train' is missing: the list of images to calibrate on");
    list *plist = get_paths(train);
    int m = plist->size, i;
    if(m == 0) check_file_error(train, -1, 0, "the list is empty: no image to calibrate on (from %s, key 'train')", datafile);
    char **all = (char **)list_to_array(plist);
    if(*n > m) *n = m;
    char **paths = check_calloc(*n, sizeof(char *), "ternary pack: the calibration list");
    for(i = 0; i < *n; ++i){
        int j = (int)((long long)i*m / *n);
        paths[i] = all[j];
        all[j] = 0;
    }
    for(i = 0; i < m; ++i) free(all[i]);
    free(all);
    free_list(plist);
    free_list(options);  /* its strings stay: option_find_str's results point into them */
    return paths;
}

/* One image as the commands that run a network see it: letterboxed to the network's size. */
static image calib_image(network *net, const char *path)
{
    image im = load_image_color((char *)path, 0, 0);
    image r = letterbox_image(im, net->w, net->h);
    free_image(im);
    return r;
}

/* Runs the calibration images through the float network, recording each [ternary] layer's input
 * range, and sets the layers' activation scales from the ranges. */
static void calibrate(network *net, char **paths, int n, const char *datafile)
{
    int i, j;
    set_batch_network(net, 1);
    for(j = 0; j < net->n; ++j) if(net->layers[j].type == TERNARY) ternary_int_reset_range(net->layers[j]);
    int_graph_calib_begin(net);
    ternary_int_calibrating = 1;
    for(i = 0; i < n; ++i){
        image im = calib_image(net, paths[i]);
        network_predict(net, im.data);
        int_graph_calib_observe(net);
        free_image(im);
    }
    ternary_int_calibrating = 0;
    int_graph_calib_end(net);
    for(j = 0; j < net->n; ++j){
        layer l = net->layers[j];
        if(l.type != TERNARY) continue;
        float lo, hi, scale;
        int zero;
        if(!ternary_int_range(l, &lo, &hi, 0)){
            check_file_error(datafile, j, "ternary", "calibration saw no finite input value of this layer");
        }
        if(lo == 0 && hi == 0){
            scale = 1.0f/255;   /* an input that is always 0: any scale codes it exactly */
            zero = 0;
        } else if(ttq_int8_act_params(lo, hi, &scale, &zero)){
            check_file_error(datafile, j, "ternary", "calibration gives no scale for the input range [%g, %g]", lo, hi);
        }
        if(scale < TERNARY_INT_SCALE_MIN || scale > TERNARY_INT_SCALE_MAX){
            check_file_error(datafile, j, "ternary", "the input range [%g, %g] the calibration saw needs an activation "
                             "scale of %g, outside %g to %g: this layer cannot run on 8-bit codes", lo, hi, scale,
                             TERNARY_INT_SCALE_MIN, TERNARY_INT_SCALE_MAX);
        }
        ternary_int_set_scale(l, scale, zero);
    }
}

void ternary_calibrate(network *net, const char *datafile, int n)
{
    char **paths = calib_paths(datafile, &n);
    int gpu = gpu_index, i;
    ternary_int_force_float = 1;
    calibrate(net, paths, n, datafile);
    ternary_int_force_float = 0;
    gpu_index = gpu;
    for(i = 0; i < n; ++i) free(paths[i]);
    free(paths);
}

/* The integer path against the float path on the calibration images: the top-1 agreement (when
 * the network ends in a softmax) and the largest difference of the network's output. */
static void report_int_agreement(network *net, char **paths, int n)
{
    int i, j, agree = 0, top = net->layers[net->n - 1].type == SOFTMAX;
    double maxd = 0, maxy = 0;
    int no = net->outputs;
    float *yf = check_malloc(no, sizeof(float), "ternary pack: the float outputs");
    set_batch_network(net, 1);
    for(i = 0; i < n; ++i){
        image im = calib_image(net, paths[i]);
        ternary_int_force_float = 1;
        memcpy(yf, network_predict(net, im.data), no*sizeof(float));
        ternary_int_force_float = 0;
        float *yi = network_predict(net, im.data);
        int af = 0, ai = 0;
        for(j = 0; j < no; ++j){
            double d = fabs((double)yi[j] - yf[j]);
            if(d > maxd) maxd = d;
            if(fabs(yf[j]) > maxy) maxy = fabs(yf[j]);
            if(yf[j] > yf[af]) af = j;
            if(yi[j] > yi[ai]) ai = j;
        }
        agree += af == ai;
        free_image(im);
    }
    free(yf);
    if(top){
        fprintf(stderr, "  integer path (kernels %s) on the %d calibration images: top-1 equal to the float path's on "
                "%d (%.2f%%); largest difference of a probability %.3g\n", ternary_int_kernels(), n, agree,
                100.0*agree/n, maxd);
    } else {
        fprintf(stderr, "  integer path (kernels %s) on the %d calibration images: largest difference of an output "
                "%.3g (largest output %.3g)\n", ternary_int_kernels(), n, maxd, maxy);
    }
}

int ternary_pack(const char *cfgfile, const char *weightfile, const char *out)
{
    return ternary_pack_calibrated(cfgfile, weightfile, out, 0, 0);
}

int ternary_pack_calibrated(const char *cfgfile, const char *weightfile, const char *out,
                            const char *calib_data, int calib_n)
{
    if(!cfgfile || !weightfile || !out){
        check_file_error("ternary pack", -1, 0, "needs a cfg, its weights and an output file");
    }
    /* written: a temporary beside out (save_weights writes a temporary of its own and renames it
     * over that one), checked, then renamed to out */
    const char *ins[] = {cfgfile, weightfile}, *outs[] = {out};
    check_outputs("ternary pack", ins, 2, outs, 1, "the output must be a new file, not the inputs");
    int gpu = gpu_index;
    gpu_index = -1;
    network *net = parse_network_cfg((char *)cfgfile);
    int i, nt = 0;
    double tern = 0, all = 0, tern_bits = 0;
    for(i = 0; i < net->n; ++i){
        layer l = net->layers[i];
        if(l.type == TERNARY){
            ++nt;
            tern += l.nweights;
            tern_bits += 8.0*ttq_packed_size(l.nweights) + 64.0*l.ttq_nscales;
        }
        if(l.type == TERNARY || l.type == CONVOLUTIONAL || l.type == DECONVOLUTIONAL) all += l.nweights;
        if(l.type == CONNECTED) all += (double)l.inputs*l.outputs;
    }
    if(nt == 0) check_file_error(cfgfile, -1, 0, "no [ternary] layer, nothing to pack");
    load_weights(net, (char *)weightfile);
    char **paths = 0;
    int ncal = calib_n;
    if(calib_data){
        /* the float network calibrated before anything is written: an error leaves no file */
        paths = calib_paths(calib_data, &ncal);
        ternary_int_force_float = 1;
        calibrate(net, paths, ncal, calib_data);
        ternary_int_force_float = 0;
    } else {
        /* without -calib no scales are written, even if the weights file held some */
        for(i = 0; i < net->n; ++i) if(net->layers[i].type == TERNARY) ternary_int_clear_scale(net->layers[i]);
        int_graph_free(net->int_graph);
        net->int_graph = 0;
    }

    char *stage = output_temp(out);
    ttq_save_packed = 1;
    save_weights(net, stage);
    ttq_save_packed = 0;
    if(net->int_graph){
        /* the integer graph's record after the last layer's (int_graph.h), appended to our own
           staged file: a link put in its place meanwhile is not followed */
        int fd = open(stage, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
        FILE *fp = fd >= 0 ? fdopen(fd, "ab") : 0;
        if(!fp && fd >= 0) close(fd);
        int bad = !fp || int_graph_write(net, fp);
        if(fp && fclose(fp)) bad = 1;
        if(bad) check_file_error(out, -1, 0, "could not write the integer graph record; nothing written");
    }

    /* check: the packed file gives the network the same ternary weights, so the same outputs */
    int na, nb;
    ternary_int_force_float = 1;
    float *ya = fold_probe(net, &na);
    network *pnet = load_network((char *)cfgfile, stage, 0);
    float *yb = fold_probe(pnet, &nb);
    ternary_int_force_float = 0;
    int same = na == nb && !memcmp(ya, yb, na*sizeof(float));
    /* and the scales came back as they were set */
    for(i = 0; i < net->n && same; ++i){
        float sa = 0, sb = 0;
        int za = 0, zb = 0;
        if(net->layers[i].type != TERNARY) continue;
        int ha = ternary_int_get_scale(net->layers[i], &sa, &za), hb = ternary_int_get_scale(pnet->layers[i], &sb, &zb);
        same = ha == hb && sa == sb && za == zb;
    }
    /* and the integer graph's codings */
    same &= !net->int_graph == !pnet->int_graph;
    for(i = 0; i < net->n && same && net->int_graph; ++i){
        const char *pa, *pb;
        float a[2], b[2];
        int za[2], zb[2];
        int_graph_layer(net, i, &pa, &a[0], &za[0], &a[1], &za[1]);
        int_graph_layer(pnet, i, &pb, &b[0], &zb[0], &b[1], &zb[1]);
        same = !strcmp(pa, pb) && a[0] == b[0] && a[1] == b[1] && (a[0] == 0 || za[0] == zb[0]) &&
               (a[1] == 0 || za[1] == zb[1]);
    }
    free(ya);
    free(yb);
    free_network(net);
    if(!same){
        check_file_error(out, -1, 0, "the packed file does not give the network's outputs and scales; nothing written");
    }
    if(paths && ternary_int_mode() != 0) report_int_agreement(pnet, paths, ncal);
    int graph_int = int_graph_integer_layers(pnet), graph_n = pnet->int_graph ? pnet->n : 0;
    free_network(pnet);
    gpu_index = gpu;
    output_commit(stage);
    long in_bytes = size_of(weightfile), out_bytes = size_of(out);
    fprintf(stderr, "packed %d [ternary] layers: %s, %ld bytes; file size ratio %.1fx (%s: %ld bytes; "
            "whole files, every layer, biases and batch norm included)\n"
            "  ternary weights: %.0f, %.3f bits each (base-3 codes + Wp/Wn)\n"
            "  whole file: %.3f bits per weight of the network (%.0f weights; full-precision layers, "
            "biases and batch norm included)\n",
            nt, out, out_bytes, out_bytes > 0 ? (double)in_bytes/out_bytes : 0, weightfile, in_bytes,
            tern, tern_bits/tern, 8.0*out_bytes/all, all);
    if(paths){
        fprintf(stderr, "  activation scales of %d [ternary] layers from %d images of %s (record version 2: the "
                "integer path)\n", nt, ncal, calib_data);
        fprintf(stderr, "  the integer graph: %d of the %d layers on integers (`darknet ternary info` lists them)\n",
                graph_int, graph_n);
        for(i = 0; i < ncal; ++i) free(paths[i]);
        free(paths);
    }
    free(stage);
    return nt;
}

/* pack's options after the three names: [-calib DATA [-n N]] */
static void run_pack(int argc, char **argv)
{
    const char *data = 0;
    int i, n = 512;
    for(i = 6; i < argc; ++i){
        if(!strcmp(argv[i], "-calib") && i + 1 < argc && !data){
            data = argv[++i];
        } else if(!strcmp(argv[i], "-n") && i + 1 < argc){
            char *end;
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if(errno || end == argv[i] || *end || v < 1 || v > 100000000){
                check_file_error("ternary pack", -1, 0, "-n %s: expected a whole number of images from 1 to 100000000",
                                 argv[i]);
            }
            n = (int)v;
        } else {
            check_file_error("ternary pack", -1, 0, "unknown or incomplete option '%s' (usage: %s ternary pack <cfg> "
                             "<weights> <out.weights> [-calib <data> [-n N]])", argv[i], argv[0]);
        }
    }
    if(!data && argc > 6){
        check_file_error("ternary pack", -1, 0, "-n without -calib: the number of calibration images needs -calib <data>");
    }
    ternary_pack_calibrated(argv[3], argv[4], argv[5], data, n);
}

/* onnx's options after the three names: [-int8] [-calib DATA [-n N]] [-batch N] */
static void run_onnx(int argc, char **argv)
{
    const char *data = 0;
    int i, n = 512, int8 = 0, batch = 1, n_given = 0;
    for(i = 6; i < argc; ++i){
        if(!strcmp(argv[i], "-int8")){
            int8 = 1;
        } else if(!strcmp(argv[i], "-calib") && i + 1 < argc && !data){
            data = argv[++i];
        } else if((!strcmp(argv[i], "-n") || !strcmp(argv[i], "-batch")) && i + 1 < argc){
            int is_n = argv[i][1] == 'n';
            char *end;
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if(errno || end == argv[i] || *end || v < 1 || v > (is_n ? 100000000 : 4096)){
                check_file_error("ternary onnx", -1, 0, "%s %s: expected a whole number from 1 to %d", is_n ? "-n" : "-batch",
                                 argv[i], is_n ? 100000000 : 4096);
            }
            if(is_n){
                n = (int)v;
                n_given = 1;
            } else {
                batch = (int)v;
            }
        } else {
            check_file_error("ternary onnx", -1, 0, "unknown or incomplete option '%s' (usage: %s ternary onnx <cfg> "
                             "<weights> <out.onnx> [-int8] [-calib <data> [-n N]] [-batch N])", argv[i], argv[0]);
        }
    }
    if(n_given && !data) check_file_error("ternary onnx", -1, 0, "-n without -calib: the number of calibration images needs -calib <data>");
    if(data && !int8) check_file_error("ternary onnx", -1, 0, "-calib without -int8: the float export needs no calibration");
    const char *ins[] = {argv[3], argv[4]}, *outs[] = {argv[5]};
    check_outputs("ternary onnx", ins, 2, outs, 1, "the output must be a new file, not the inputs");
    ternary_onnx(argv[3], argv[4], argv[5], int8, data, n, batch);
}

void run_ternary(int argc, char **argv)
{
    if(argc >= 4 && !strcmp(argv[2], "info")){
        ternary_info(argv[3], argc > 4 ? argv[4] : 0);
    } else if(argc == 5 && !strcmp(argv[2], "plot")){
        ternary_plot(argv[3], argv[4]);
    } else if(argc == 7 && !strcmp(argv[2], "fold")){
        ternary_fold(argv[3], argv[4], argv[5], argv[6]);
    } else if(argc >= 6 && !strcmp(argv[2], "pack")){
        run_pack(argc, argv);
    } else if(argc >= 6 && !strcmp(argv[2], "onnx")){
        run_onnx(argc, argv);
    } else {
        check_file_error("usage", -1, 0, "%s ternary info <cfg> [weights]\n"
                         "       %s ternary plot <telemetry.csv> <out.png>\n"
                         "       %s ternary fold <cfg> <weights> <out.cfg> <out.weights>\n"
                         "       %s ternary pack <cfg> <weights> <out.weights> [-calib <data> [-n N]]\n"
                         "       %s ternary onnx <cfg> <weights> <out.onnx> [-int8] [-calib <data> [-n N]] [-batch N]",
                         argv[0], argv[0], argv[0], argv[0], argv[0]);
    }
}
