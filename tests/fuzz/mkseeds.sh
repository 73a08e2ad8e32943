#!/bin/sh
# Writes the seed corpora of tests/fuzz/corpus/ (committed; rerun after a format change):
#   sh tests/fuzz/mkseeds.sh TREE FUZZ_DIR     e.g. build/cpu/darknet build/fuzz
# cfg: our cfgs, the tests' and upstream's (TREE/cfg), made small so that a parse takes
# milliseconds (shrink below); weights, forward, state: written by their harnesses; the others
# small files written here. Files are overwritten, never removed: a corpus folder also holds the
# regression inputs of fixed crashes (README.md).
set -eu
tree=$1 fz=$2
c=tests/fuzz/corpus
mkdir -p $c/cfg $c/weights $c/data $c/labels $c/convert $c/image $c/forward $c/state
# input 32x32, batch 1; filters= of [convolutional], [ternary], [local], [deconvolutional] and
# output=/hidden= of [connected], [rnn], [gru], [lstm], [crnn] at most 16, except in the layer
# right before a [yolo], [region] or [detection], whose size those check. Upstream's cfgs have
# layers of 1024 filters: millions of weights to initialise per parse (30 parses/s under the
# sanitizers), for sections and keys that 16 filters cover as well.
shrink() {
    awk '
        FNR == NR { if ($0 ~ /^\[/) type[++n] = $0; next }
        /^\[/ { ++k }
        /^(width|height)[ \t]*=/ { sub(/=.*/, "=32") }
        /^(batch|subdivisions)[ \t]*=/ { sub(/=.*/, "=1") }
        /^(filters|output|hidden)[ \t]*=/ && type[k+1] !~ /^\[(yolo|region|detection)\]/ {
            v = substr($0, index($0, "=") + 1)
            if (v + 0 > 16) sub(/=.*/, "=16")
        }
        { print }' "$1" "$1"
}
for f in cfg/*.cfg tests/*.cfg; do shrink "$f" > $c/cfg/$(basename "$f"); done
# upstream's: those that parse in well under a second here (the others repeat the same sections
# with millions of weights to initialise; darknet9000 and yolo9000 name a missing tree file, the
# read_tree crash of README.md)
for n in alexnet cifar cifar.test darknet go go.test gru jnet-conv resnet18 rnn t1.test tiny \
         vgg-conv writing yolov1-tiny yolov2-tiny yolov2-tiny-voc yolov3-tiny; do
    shrink "$tree/cfg/$n.cfg" > $c/cfg/upstream-$n.cfg
done
# the sections no small upstream cfg has
printf '[net]\nbatch=1\nsubdivisions=1\nwidth=16\nheight=16\nchannels=3\n\n[local]\nfilters=2\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n[deconvolutional]\nfilters=4\nsize=2\nstride=2\nactivation=relu\n\n[crop]\ncrop_width=24\ncrop_height=24\nflip=1\n\n[batchnorm]\n\n[normalization]\nsize=5\n\n[l2norm]\n\n[reorg]\nstride=2\n\n[upsample]\nstride=2\n\n[avgpool]\n\n[dropout]\nprobability=.5\n\n[logistic]\n\n[activation]\nactivation=tanh\n\n[connected]\noutput=4\n\n[cost]\ntype=sse\n' > $c/cfg/sections-a.cfg
printf '[net]\nbatch=1\nsubdivisions=1\ninputs=8\ntime_steps=2\n\n[lstm]\nbatch_normalize=1\noutput=4\n\n[gru]\noutput=4\n\n[crnn]\noutput=4\nhidden=4\n\n[connected]\noutput=3\n\n[softmax]\n' > $c/cfg/sections-rnn.cfg
printf '[net]\nbatch=1\nsubdivisions=1\nwidth=16\nheight=16\nchannels=3\n\n[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n\n[ternary]\nfilters=8\nsize=3\nstride=1\npad=1\nthreshold=0.05\nwp=1\nwn=1\nactivation=leaky\n\n[shortcut]\nfrom=-2\n\n[route]\nlayers=-1,-2\n\n[convolutional]\nfilters=12\nsize=1\nstride=1\nactivation=linear\n\n[iseg]\nclasses=2\nids=10\n' > $c/cfg/sections-iseg.cfg
TTQ_FUZZ_MAKE_SEEDS=$PWD/$c/weights ASAN_OPTIONS=detect_leaks=0 "$fz"/fuzz_weights >/dev/null 2>&1
# forward: the weights, packed, and packed with activation scales (calibrated on PPM images the
# harness writes; it checks that the integer path runs); state: a real optimiser state of the
# harness's fixed weights and three derived from it (both written by the harnesses themselves)
TTQ_FUZZ_MAKE_SEEDS=$PWD/$c/forward ASAN_OPTIONS=detect_leaks=0 "$fz"/fuzz_forward >/dev/null 2>&1
TTQ_FUZZ_MAKE_SEEDS=$PWD/$c/state ASAN_OPTIONS=detect_leaks=0 "$fz"/fuzz_state >/dev/null 2>&1

printf 'classes=2\ntrain=train.list\nlabels=labels.txt\nbackup=backup\ntop=1\n----\ncat\ndog\n----\nimg/cat1.png\nimg/dog_2.jpg\n' > $c/data/ok
printf 'classes=2\nvalid=train.list\ntrain = train.list\nlabels=labels.txt\nbackup=backup/\n# c\n----\ncat\r\ndog\n----\n/a/cat.png\n\n/b/dog.png' > $c/data/crlf
printf 'classes=2\ntree=tree.txt\ntrain=train.list\nlabels=labels.txt\nbackup=backup\n----\na\nb\n----\nx/a.png\n----\na -1\nb 0\n' > $c/data/tree
printf 'classes=1\ntag=1\ntrain=train.list\nbackup=backup\n----\n----\nimg.png\n' > $c/data/tag

printf '0 0.5 0.5 0.2 0.3\n3 0.1 0.9 0.05 0.05\n' > $c/labels/two
printf '19 0.999 0.001 1.5 0.01\r\n\r\n0 0 0 0 0\n' > $c/labels/edges
printf '1\t0.25\t0.75\t-0.5\t2e3\n' > $c/labels/tabs
awk 'BEGIN{for(i=0;i<100;i++) printf "%d %.3f %.3f 0.1 0.1\n", i%20, (i%10)/10+0.05, int(i/10)/10+0.05}' > $c/labels/hundred

# convert: byte 0 even = idx (byte 1 odd: gzip), odd = CIFAR-10
python3 - "$c/convert" <<'PY'
import struct, sys
d = sys.argv[1]
img = struct.pack('>IIII', 0x803, 2, 28, 28) + bytes(range(256))*6 + bytes(2*784 - 1536)
lab = struct.pack('>II', 0x801, 2) + bytes([3, 9])
open(d + '/idx', 'wb').write(b'\0\0' + img + b'\n----\n' + lab)
open(d + '/idx-gz', 'wb').write(b'\0\1' + img + b'\n----\n' + lab)
open(d + '/cifar', 'wb').write(b'\1' + bytes([7]) + bytes(range(256))*12 + bytes(3072 - 3072))
PY

cp tests/images/* $c/image/
python3 - "$c/image" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
open(d + '/p6.ppm', 'wb').write(b'P6\n3 2\n255\n' + bytes(range(18)))
open(d + '/p5.pgm', 'wb').write(b'P5 2 2 65535\n' + bytes(8))
raw = b''.join(b'\0' + bytes([x*40, 255 - x*40, 7]) * 1 for x in range(3))
def chunk(t, b): return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b))
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 3, 8, 2, 0, 0, 0)) \
      + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
open(d + '/rgb.png', 'wb').write(png)
bmp_pix = bytes([0, 0, 255, 0, 255, 0, 0, 0]) * 2
bmp = b'BM' + struct.pack('<IHHI', 54 + len(bmp_pix), 0, 0, 54) + struct.pack('<IiiHHIIiiII', 40, 2, 2, 1, 24, 0, len(bmp_pix), 0, 0, 0, 0) + bmp_pix
open(d + '/rgb.bmp', 'wb').write(bmp)
tga = struct.pack('<BBBHHBHHHHBB', 0, 0, 2, 0, 0, 0, 0, 0, 2, 2, 24, 0) + bytes(12)
open(d + '/rgb.tga', 'wb').write(tga)
PY
