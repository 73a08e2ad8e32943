# The ONNX export against Darknet, for tests/t_onnx.sh (Debian's python3-onnx and python3-numpy):
#   check.py MODEL.onnx NETOUT.txt SEED WORKDIR THREADS TOL [HEADS.txt]
# 1. onnx.checker.check_model (full check: types and shapes inferred).
# 2. The input of `netout run CFG WEIGHTS SEED` (tests/netrand.h: the same 64-bit LCG, 24 bits a
#    float) is written raw, and the model gains as extra outputs the tensors netout prints: the input
#    of each [yolo] head (the layer before it) in layer order, then that of a final softmax (the
#    logits); node runs it in ONNX Runtime (tests/onnx/run.js); each tensor must equal netout's
#    within TOL of the tensor's largest magnitude. Prints one line per tensor: name, count, max
#    difference, largest magnitude.
import os, subprocess, sys
import numpy as np
import onnx
from onnx import helper, TensorProto

model_path, netout, seed, work, threads, tol = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6])
heads_file = sys.argv[7] if len(sys.argv) > 7 else None
m = onnx.load(model_path)
onnx.checker.check_model(m, full_check=True)

def fail(msg):
    print("FAIL onnx check: " + msg)
    sys.exit(1)

shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
n = int(np.prod(shape[1:]))
state = seed
x = np.empty(n, dtype=np.float32)
mask = (1 << 64) - 1
for i in range(n):
    state = (state * 6364136223846793005 + 1442695040888963407) & mask
    x[i] = np.float32(state >> 40) / np.float32(16777216.0)
x = np.tile(x, shape[0])
inp = os.path.join(work, "input.f32")
x.astype("<f4").tofile(inp)

# the tensors netout prints, in its order
heads = []
for node in m.graph.node:
    if node.op_type == "Sigmoid" and node.name.startswith("yolo_") and node.name.endswith("_sigmoid"):
        heads.append((int(node.name.split("_")[1]), node.input[0]))
heads.sort()
names = [t for i, t in heads]
for node in m.graph.node:
    if node.op_type == "Flatten" and node.name.startswith("softmax_") and node.name.endswith("_flat"):
        names.append(node.input[0])
if not names:
    names.append(m.graph.output[-1].name)
have = set(o.name for o in m.graph.output)
for t in names:
    if t not in have:
        m.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
aug = os.path.join(work, "augmented.onnx")
onnx.save(m, aug)
outdir = os.path.join(work, "out")
os.makedirs(outdir, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))
r = subprocess.run(["node", os.path.join(here, "run.js"), aug, inp, outdir, threads], capture_output=True, text=True)
if r.returncode != 0:
    fail("onnxruntime: " + r.stderr.strip())

def compare(tensors, values_file, what):
    """Each tensor of ONNX Runtime's (the batch's first image) against the values netout printed,
    one after another, within tol of the tensor's largest magnitude; all values used up."""
    want = np.array([float(v) for v in open(values_file).read().split()], dtype=np.float64)
    at = 0
    for t in tensors:
        got = np.fromfile(os.path.join(outdir, t + ".f32"), dtype="<f4").astype(np.float64)
        got = got[:got.size // shape[0]]
        ref = want[at:at + got.size]
        at += got.size
        if ref.size != got.size:
            fail("%s: %d values from ONNX Runtime, netout printed %d" % (t, got.size, ref.size))
        big = max(np.abs(ref).max(), 1e-30)
        d = np.abs(got - ref).max()
        print("%s %d %.3g %.3g" % (t, got.size, d, big))
        if not d <= tol * big:
            i = int(np.argmax(np.abs(got - ref)))
            fail("%s: ONNX Runtime and Darknet differ by %.3g (value %d: %.9g vs %.9g), more than %g of the largest magnitude %.3g"
                 % (t, d, i, got[i], ref[i], tol, big))
    if at != want.size or not tensors:
        fail("netout printed %d values (%s), the checked tensors hold %d" % (want.size, what, at))

compare(names, netout, "netout run")

# 3. With HEADS (`netout heads`: each [yolo] layer's output, then a final softmax's): the graph's own
#    outputs, in that order, equal them (the yolo heads' logistic and the softmax with its temperature)
if heads_file:
    outs = [o.name for o in onnx.load(model_path).graph.output]
    outs = sorted([o for o in outs if o.startswith("yolo_")], key=lambda o: int(o.split("_")[1])) + \
           [o for o in outs if o.startswith("softmax_")]
    compare(outs, heads_file, "netout heads")
