"""PyTorch side of the inference benchmark: the CIFAR-style ResNet-20 of cfg/resnet20.cfg and of
the folded cfg/ttq-resnet20.cfg (32x32x3 input, 3x3 convolutions with batch norm, Darknet's
shortcuts: identity, subsampled every 2nd pixel and zero-padded in channels where the shape
changes; global average pool; [connected] 64 -> 10), timed at inference on the CPU:

  torch-fp32  eval mode, batch norm folded into the convolutions (fuse_modules); the eager module,
              torch.jit.freeze(torch.jit.trace(...)) and that frozen module after
              torch.jit.optimize_for_inference are all timed, the fastest is marked best=1
  torch-int8  FX graph mode static quantisation (prepare_fx / convert_fx, the engine's default
              qconfig mapping), calibrated on --calib inputs (uniform [0, 1) or --calib-file);
              engine onednn, then qnnpack; eager and jit-frozen timed, the fastest marked best=1.
              The convolutions, the add+relu of each block and the classifier run in int8; the
              two strided shortcuts are dequantised, sliced, padded and requantised (the FX
              quantiser leaves F.pad in fp32). The int8 model's top-1 agreement with fp32 on the
              calibration inputs is printed, with the number of classes fp32 predicts there
              (random inputs often all get one class: real images via --calib-file say more)
              and the RMS logit difference.

for every --batches x --threads (torch.set_num_threads; one inter-op thread), as the median of
single-call times over --seconds after a warm-up (min_ms: the fastest call). best=1 marks the
fastest variant by median. Output, one line per measurement:

  engine=torch-int8 backend=onednn variant=jit-freeze batch=32 threads=2 median_ms=7.80 min_ms=7.41 reps=128 img_per_s=4103.0 best=1

The first line says which kernels this PyTorch has (version, mkldnn, CPU capability, engines).

Weights: --weights FILE reads a Darknet .weights file of the folded network (what
`./darknet ternary fold cfg/ttq-resnet20.cfg W out.cfg out.weights` writes, or an FP ResNet-20
trained from cfg/resnet20.cfg): header, then the 19 [convolutional] records (biases, scales,
rolling mean, rolling variance, weights) and the [connected] record (biases, weights), layout in
docs/formats.md. The file must be exactly that size. Without --weights: random, seed 1.
Batch norm at inference is Darknet's: (x - mean)/sqrt(var + 1e-5) in our build (patch 0401), or
with --bn stock (x - mean)/(sqrt(var) + 1e-6) as stock Darknet's CPU path.

Checking against Darknet (the same logits within 1e-4 relative):

  build/cpu/tools/netout randw cfg/ttq-resnet20.cfg /tmp/r.weights 7
  ./darknet ternary fold cfg/ttq-resnet20.cfg /tmp/r.weights /tmp/f.cfg /tmp/f.weights
  build/cpu/tools/netout run /tmp/f.cfg /tmp/f.weights 5 > /tmp/darknet.txt
  /usr/bin/python3 bench/infer_torch.py --weights /tmp/f.weights --netrand-input 5 \
      --check-output /tmp/torch.txt --no-bench

(--netrand-input SEED is netrand_input(SEED) of tests/netrand.h; --check-input FILE reads a raw
float32 1x3x32x32 input in Darknet's c,h,w order instead.) The logits are written one %.9g per line.
Mind that randw's batch-norm statistics do not fit its weights: in the folded [ternary] net the
activations grow layer by layer until one block's output is all zero, so its logits do not depend
on the input or the earlier layers. `netout randw cfg/resnet20.cfg` (full precision, same records)
keeps every layer in play; so does a folded file whose rolling means and variances are set to the
statistics of each convolution's output.

Run: /usr/bin/python3 bench/infer_torch.py [--batches 1,32] [--threads 1,2] [--seconds 1]
(Debian's python3-torch; the quantised engines need a build that has them.)"""
import argparse
import copy
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PROG = "infer_torch.py"
STAGES = (16, 32, 64)
IN_C, IN_H, IN_W, CLASSES = 3, 32, 32, 10


def die(msg):
    print("%s: error: %s" % (PROG, msg), file=sys.stderr)
    sys.exit(1)


# --- the network ----------------------------------------------------------------------------------
# ReLUs are modules, so that fuse_modules and the FX quantiser see conv-bn-relu and add-relu.

class Block(nn.Module):
    """conv-BN-relu, conv-BN, + shortcut, relu (Darknet's [shortcut] from=-3 activation=relu)."""

    def __init__(self, cin, cout, stride, eps):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, eps=eps)
        self.r1 = nn.ReLU()
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, eps=eps)
        self.r2 = nn.ReLU()
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = self.b2(self.c2(self.r1(self.b1(self.c1(x)))))
        s = x
        if self.stride > 1:     # Darknet's shortcut_cpu: every stride-th pixel from (0, 0)
            s = s[:, :, ::self.stride, ::self.stride]
        if self.pad:            # the missing channels add nothing
            s = F.pad(s, (0, 0, 0, 0, 0, self.pad))
        return self.r2(y + s)


class ResNet20(nn.Module):
    def __init__(self, eps):
        super().__init__()
        self.c = nn.Conv2d(IN_C, STAGES[0], 3, 1, 1, bias=False)
        self.b = nn.BatchNorm2d(STAGES[0], eps=eps)
        self.r = nn.ReLU()
        blocks, cin = [], STAGES[0]
        for i, w in enumerate(STAGES):
            for j in range(3):
                blocks.append(Block(cin, w, 2 if i > 0 and j == 0 else 1, eps))
                cin = w
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(STAGES[-1], CLASSES)

    def forward(self, x):
        x = self.layers(self.r(self.b(self.c(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def conv_bn(self):
        """The (conv, bn) pairs in cfg order: the order of the .weights records."""
        pairs = [(self.c, self.b)]
        for blk in self.layers:
            pairs += [(blk.c1, blk.b1), (blk.c2, blk.b2)]
        return pairs

    def fuse_lists(self):
        """Module names for torch.ao.quantization.fuse_modules (eval: BN folded into the conv)."""
        names = [["c", "b", "r"]]
        for i in range(len(self.layers)):
            p = "layers.%d." % i
            names += [[p + "c1", p + "b1", p + "r1"], [p + "c2", p + "b2"]]
        return names


# --- Darknet weights ------------------------------------------------------------------------------

def load_darknet(net, path, stock_bn):
    """Fills net from a folded Darknet .weights file; dies naming the file on any mismatch."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        die("%s: cannot read: %s" % (path, e.strerror))
    if len(data) < 12:
        die("%s: %d bytes, shorter than a Darknet weights header" % (path, len(data)))
    major, minor, rev = struct.unpack_from("<iii", data, 0)
    if min(major, minor, rev) < 0:
        die("%s: header version %d.%d.%d is not a Darknet weights version" % (path, major, minor, rev))
    # as Darknet's load_weights_upto: a 64-bit `seen` from version 0.2 on, but a 32-bit one when a
    # field above 1000 marks the [connected] weights as stored transposed
    hdr = 20 if major * 10 + minor >= 2 and major < 1000 and minor < 1000 else 16
    transposed = major > 1000 or minor > 1000
    pairs = net.conv_bn()
    need = hdr + 4 * sum(4 * c.out_channels + c.weight.numel() for c, _ in pairs)
    need += 4 * (net.fc.out_features + net.fc.weight.numel())
    if len(data) != need:
        hint = ""
        nfloat = (len(data) - hdr) // 4
        # a [ternary] record's trailer begins with the quiet-NaN tag 0x7FC05154 (docs/formats.md)
        if b"\x54\x51\xc0\x7f" in data[hdr:]:
            hint = " (it holds [ternary] records: fold it first with `darknet ternary fold`)"
        elif b"\x4b\x50\xc0\x7f" in data[hdr:]:
            hint = " (it holds packed [ternary] records: fold the unpacked file instead)"
        die("%s: %d bytes (%d floats after a %d-byte header), but ResNet-20 (19 convolutional "
            "layers with batch norm, connected 64->10) needs exactly %d bytes%s"
            % (path, len(data), nfloat, hdr, need, hint))
    vals = np.frombuffer(data, dtype="<f4", offset=hdr).astype(np.float32)
    if not np.all(np.isfinite(vals)):
        die("%s: holds NaN or infinite values" % path)
    pos = 0

    def take(n):
        nonlocal pos
        out = torch.from_numpy(vals[pos:pos + n].copy())
        pos += n
        return out

    for k, (conv, bn) in enumerate(pairs):
        n = conv.out_channels
        beta, gamma, mean, var = take(n), take(n), take(n), take(n)
        if torch.any(var < 0):
            die("%s: convolutional layer %d of 19: negative rolling variance" % (path, k + 1))
        if stock_bn:    # stock Darknet: (x - mean)/(sqrt(var) + 1e-6); this BN has eps 0
            var = (var.double().sqrt() + 1e-6).pow(2).float()
        bn.bias.data.copy_(beta)
        bn.weight.data.copy_(gamma)
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
        conv.weight.data.copy_(take(conv.weight.numel()).view_as(conv.weight))
    fc = net.fc
    fc.bias.data.copy_(take(fc.out_features))
    w = take(fc.weight.numel())
    if transposed:      # stored as inputs x outputs
        w = w.view(fc.in_features, fc.out_features).t()
    fc.weight.data.copy_(w.reshape(fc.out_features, fc.in_features))
    assert pos == vals.size


def random_weights(net):
    """Fixed-seed random parameters, batch-norm statistics included (what a trained net has)."""
    g = torch.Generator().manual_seed(1)
    for conv, bn in net.conv_bn():
        fan_in = conv.weight[0].numel()
        a = (3.0 / fan_in) ** 0.5
        conv.weight.data.uniform_(-a, a, generator=g)
        bn.weight.data.uniform_(0.5, 1.2, generator=g)
        bn.bias.data.uniform_(-0.1, 0.1, generator=g)
        bn.running_mean.uniform_(-0.2, 0.2, generator=g)
        bn.running_var.uniform_(0.5, 2.0, generator=g)
    a = (3.0 / net.fc.in_features) ** 0.5
    net.fc.weight.data.uniform_(-a, a, generator=g)
    net.fc.bias.data.uniform_(-0.1, 0.1, generator=g)


# --- inputs ---------------------------------------------------------------------------------------

def read_images(path, what):
    """A raw float32 file of N x 3 x 32 x 32 (c, h, w per image) as a tensor."""
    per = IN_C * IN_H * IN_W * 4
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        die("%s: cannot read %s: %s" % (path, what, e.strerror))
    if len(data) == 0 or len(data) % per:
        die("%s: %d bytes, not a whole number of float32 3x32x32 images (%d bytes each) for %s"
            % (path, len(data), per, what))
    x = np.frombuffer(data, dtype="<f4").astype(np.float32)
    if not np.all(np.isfinite(x)):
        die("%s: %s holds NaN or infinite values" % (path, what))
    return torch.from_numpy(x.copy()).view(-1, IN_C, IN_H, IN_W)


def netrand_input(seed):
    """tests/netrand.h netrand_input(seed): a 64-bit LCG, 24 bits per value, in [0, 1)."""
    s, m, out = seed, (1 << 64) - 1, []
    for _ in range(IN_C * IN_H * IN_W):
        s = (s * 6364136223846793005 + 1442695040888963407) & m
        out.append((s >> 40) / 16777216.0)
    return torch.tensor(out, dtype=torch.float32).view(1, IN_C, IN_H, IN_W)


# --- timing ---------------------------------------------------------------------------------------

def median_ms(fn, x, seconds):
    """Median and fastest time of fn(x) in ms over as many calls as fill `seconds`, after a
    warm-up, and the number of calls. The fastest call is less disturbed by other processes."""
    with torch.inference_mode():
        for _ in range(3):
            fn(x)
        t0, n = time.perf_counter(), 0
        while n < 3 or time.perf_counter() - t0 < min(0.25, seconds / 4):
            fn(x)
            n += 1
        reps = max(5, int(seconds / ((time.perf_counter() - t0) / n)))
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times), 1e3 * min(times), reps


def frozen(model, x, optimize=False):
    with torch.no_grad():
        m = torch.jit.freeze(torch.jit.trace(model, x).eval())
        if optimize:
            m = torch.jit.optimize_for_inference(m)
        m(x)
        m(x)
    return m


def variants(model, x, jit_opt, label):
    """(name, callable) pairs: eager, jit-freeze, optionally jit-freeze + optimize_for_inference;
    one that fails to build is reported and left out."""
    out = [("eager", model)]
    for name, opt in [("jit-freeze", False)] + ([("jit-opt", True)] if jit_opt else []):
        try:
            out.append((name, frozen(model, x, opt)))
        except Exception as e:  # noqa: BLE001 (an unsupported path is a note, not a failure)
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            print("# %s: variant %s left out, it failed: %s" % (label, name, msg), flush=True)
    return out


def bench(label, backend, model, batches, threads, seconds, jit_opt, engine=None):
    if engine:
        torch.backends.quantized.engine = engine
    for b in batches:
        x = torch.rand(b, IN_C, IN_H, IN_W, generator=torch.Generator().manual_seed(2))
        fns = variants(model, x, jit_opt, "engine=%s backend=%s batch=%d" % (label, backend, b))
        for t in threads:
            torch.set_num_threads(t)
            rows = [(name,) + median_ms(fn, x, seconds) for name, fn in fns]
            best = min(r[1] for r in rows)
            for name, ms, fastest, reps in rows:
                print("engine=%s backend=%s variant=%s batch=%d threads=%d median_ms=%.4f "
                      "min_ms=%.4f reps=%d img_per_s=%.1f best=%d"
                      % (label, backend, name, b, t, ms, fastest, reps, 1e3 * b / ms, ms == best),
                      flush=True)


# --- main -----------------------------------------------------------------------------------------

def int_list(s, what):
    try:
        v = [int(p) for p in s.split(",") if p.strip()]
    except ValueError:
        die("--%s '%s': expected positive integers separated by commas" % (what, s))
    if not v or min(v) < 1:
        die("--%s '%s': expected positive integers separated by commas" % (what, s))
    return v


def kernels_line():
    """What this PyTorch computes with: its version, oneDNN (mkldnn), the CPU capability ATen's own
    kernels were dispatched to, the quantized engines, and the CPU's AVX-512 (oneDNN and Darknet's
    direct convolution choose their kernels at run time from it)."""
    keep = ("CPU capability", "MKL-DNN", "oneDNN", "OpenMP")
    cfg = [ln.strip().lstrip("- ") for ln in torch.__config__.show().splitlines()
           if any(k in ln for k in keep)]
    try:
        with open("/proc/cpuinfo") as f:
            avx512 = int(" avx512f" in f.read())
    except OSError:
        avx512 = -1
    return ("# torch=%s mkldnn=%d quantized_engines=%s quantized_engine=%s cpu_avx512f=%d cores=%d"
            " config=[%s]" % (torch.__version__, torch.backends.mkldnn.is_available(),
                              ",".join(torch.backends.quantized.supported_engines),
                              torch.backends.quantized.engine, avx512, os.cpu_count() or 0,
                              "; ".join(cfg) or "no capability line in torch.__config__"))


def loadavg():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "unknown"


def quantize(fp32, engine, calib):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = engine
    m = copy.deepcopy(fp32).eval()
    prepared = prepare_fx(m, get_default_qconfig_mapping(engine), (calib[:1],))
    with torch.inference_mode():
        for i in range(0, calib.shape[0], 32):
            prepared(calib[i:i + 32])
    return convert_fx(prepared)


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", help="folded Darknet ResNet-20 .weights (default: random, seed 1)")
    ap.add_argument("--bn", choices=("ours", "stock"), default="ours",
                    help="batch norm of our Darknet build, sqrt(var + 1e-5) (default), or of stock "
                         "Darknet, sqrt(var) + 1e-6")
    ap.add_argument("--check-input", help="raw float32 1x3x32x32 input (c, h, w)")
    ap.add_argument("--netrand-input", type=int, metavar="SEED",
                    help="input netrand_input(SEED) of tests/netrand.h instead of --check-input")
    ap.add_argument("--check-output", help="write the fp32 logits here, one %%.9g a line ('-': stdout)")
    ap.add_argument("--no-bench", action="store_true", help="only the check, no timing")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement (default 1)")
    ap.add_argument("--calib", type=int, default=64, help="calibration inputs (default 64)")
    ap.add_argument("--calib-file", help="raw float32 Nx3x32x32 calibration inputs (the first --calib used)")
    ap.add_argument("--engines", default="onednn,qnnpack", help="quantized engines to time")
    ap.add_argument("--no-jit-opt", action="store_true",
                    help="leave out the torch.jit.optimize_for_inference variant of fp32")
    a = ap.parse_args()

    batches, threads = int_list(a.batches, "batches"), int_list(a.threads, "threads")
    engines = [e for e in a.engines.split(",") if e]
    if not a.seconds > 0:
        die("--seconds %g: expected a positive number" % a.seconds)
    if a.calib < 1:
        die("--calib %d: expected a positive number" % a.calib)
    if (a.check_input is not None or a.netrand_input is not None) != (a.check_output is not None):
        die("--check-output goes with --check-input or --netrand-input")
    if a.check_input is not None and a.netrand_input is not None:
        die("--check-input and --netrand-input are exclusive")
    if a.netrand_input is not None and a.netrand_input < 0:
        die("--netrand-input %d: expected a seed >= 0" % a.netrand_input)
    for e in engines:
        if e not in torch.backends.quantized.supported_engines:
            die("--engines: '%s' is not a quantized engine of this PyTorch (%s)"
                % (e, ",".join(torch.backends.quantized.supported_engines)))

    if a.calib_file:
        calib = read_images(a.calib_file, "--calib-file")[:a.calib]
    else:
        calib = torch.rand(a.calib, IN_C, IN_H, IN_W, generator=torch.Generator().manual_seed(3))

    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    net = ResNet20(eps=0.0 if a.bn == "stock" else 1e-5)
    if a.weights:
        load_darknet(net, a.weights, a.bn == "stock")
    else:
        random_weights(net)
    net.eval()

    if a.check_output is not None:
        if a.check_input is not None:
            x = read_images(a.check_input, "--check-input")
            if x.shape[0] != 1:
                die("%s: %d images, --check-input takes one (3x32x32 float32, 12288 bytes)"
                    % (a.check_input, x.shape[0]))
        else:
            x = netrand_input(a.netrand_input)
        with torch.no_grad():
            y = net(x)[0].tolist()
        text = "".join("%.9g\n" % v for v in y)
        if a.check_output == "-":
            sys.stdout.write(text)
        else:
            try:
                with open(a.check_output, "w") as f:
                    f.write(text)
            except OSError as e:
                die("%s: cannot write: %s" % (a.check_output, e.strerror))
    if a.no_bench:
        return

    print(kernels_line(), flush=True)
    print("# load average at start %s (other processes on these cores slow the figures, most those "
          "with threads > 1)" % loadavg(), flush=True)
    print("# weights=%s bn=%s batches=%s threads=%s seconds=%g calib=%d (%s)"
          % (a.weights or "random(seed 1)", a.bn, a.batches, a.threads, a.seconds,
             calib.shape[0], a.calib_file or "uniform [0,1), seed 3"), flush=True)

    # fp32: batch norm (and the ReLU after it) folded into the convolution
    from torch.ao.quantization import fuse_modules
    fused = fuse_modules(copy.deepcopy(net), net.fuse_lists())
    with torch.no_grad():
        ref = net(calib)
        d = (fused(calib) - ref).abs().max().item()
    print("# fp32 BN folding: max |logit difference| %.3g on the calibration inputs" % d, flush=True)
    backend = "mkldnn" if torch.backends.mkldnn.is_available() else "native"
    bench("torch-fp32", backend, fused, batches, threads, a.seconds, not a.no_jit_opt)

    for e in engines:
        try:
            q = quantize(net, e, calib)
            with torch.no_grad():
                yq = q(calib)
        except Exception as ex:  # noqa: BLE001 (report the engine, go on with the next)
            print("# engine=torch-int8 backend=%s failed: %s" % (e, str(ex).splitlines()[0]), flush=True)
            continue
        # top-1 agreement means little when fp32 gives one class to every input (random inputs
        # often do): the number of classes fp32 predicts and the relative RMS error say more
        agree = (yq.argmax(1) == ref.argmax(1)).float().mean().item()
        centred = ref - ref.mean(1, keepdim=True)
        rel = ((yq - ref).pow(2).mean().sqrt() / centred.pow(2).mean().sqrt().clamp_min(1e-30)).item()
        print("# int8 check backend=%s: top-1 agrees with fp32 on %.1f%% of %d calibration inputs "
              "(fp32 predicts %d distinct classes), max |logit difference| %.3g (largest |logit| "
              "%.3g), RMS difference / RMS of the centred fp32 logits %.3g"
              % (e, 100 * agree, calib.shape[0], ref.argmax(1).unique().numel(),
                 (yq - ref).abs().max().item(), ref.abs().max().item(), rel), flush=True)
        bench("torch-int8", e, q, batches, threads, a.seconds, False, engine=e)
    print("# load average at end %s" % loadavg(), flush=True)


if __name__ == "__main__":
    main()
