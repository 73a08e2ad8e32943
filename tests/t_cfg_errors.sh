#!/bin/sh
# Every invalid [ternary] value, and every invalid [net] or common-layer value (patch 0505), exits
# non-zero with one message naming the cfg file, the section and the key; valid values parse.
set -eu
: "${WORK:?}" "${DARKNET:?}"
mkdir -p "$WORK"
cfg="$WORK/bad.cfg"
failures=0

# The writers below put the lines under test first, before the section's own lines for the same
# keys; dedup then keeps the first line of each key in a section (what Darknet used), since a key
# given twice with two values is itself an error now (checked at the end).
dedup() {
    awk '/^\[/ { delete seen } { k = $0; sub(/=.*/, "", k) } /=/ && (k in seen) { next } /=/ { seen[k] = 1 } { print }' \
        "$cfg" >"$cfg.d" && mv "$cfg.d" "$cfg"
}

write_cfg() {
    printf '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n\n[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n\n[ternary]\n%s\nfilters=4\nsize=3\npad=1\nactivation=leaky\n' "$1" >"$cfg"
}

expect_error() {   # key  option-lines  [cfg writer  section as named in the message]
    ${3:-write_cfg} "$2"
    dedup
    if "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then
        echo "FAIL: '$2' was accepted"; failures=$((failures + 1)); return
    fi
    if ! grep -q "$cfg: section ${4:-\[ternary\] #1}: key '$1'" "$WORK/out"; then
        echo "FAIL: '$2': message does not name file, section and key '$1':"; tail -n 2 "$WORK/out"
        failures=$((failures + 1))
    fi
}

expect_ok() {
    write_cfg "$1"
    dedup
    "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1 || { echo "FAIL: '$1' was rejected:"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }
}

nl='
'
expect_error threshold "threshold=0"
expect_error threshold "threshold=1"
expect_error threshold "threshold=1.5"
expect_error threshold "threshold=-0.1"
expect_error threshold "threshold=abc"
expect_error threshold "threshold=nan"
# a positive number below float's normal range is computed as 0 (-Ofast flushes denormals): the
# message says so, in every build, rather than "expected 0 < t < 1" (-Ofast) or accepting it (-O1)
write_cfg "threshold=1e-40"
if dedup; "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then echo "FAIL: threshold=1e-40 was accepted"; failures=$((failures + 1))
elif ! grep -q "$cfg: section \[ternary\] #1: key 'threshold' = 1e-40, expected 0 or a number of magnitude 1.17549e-38 to 3.40282e+38" "$WORK/out"; then
    echo "FAIL: threshold=1e-40: message does not say the value is below float's range:"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
fi
# [cost] as the first layer: get_network_output_layer read layers[-1] (fuzz_cfg, 2026-12-05)
printf '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n\n[cost]\ntype=sse\n' >"$cfg"
if "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then echo "FAIL: [cost] as the first layer was accepted"; failures=$((failures + 1))
elif ! grep -q "^$cfg: section \[cost\] #0: \[cost\] cannot be the first layer" "$WORK/out"; then
    echo "FAIL: [cost] first: not the message:"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
fi
# [shortcut] or [route] as the first layer: no "-1 .. -0, or 0 .. -1" range
layer0_cfg() { printf '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n\n%s\n' "$1" >"$cfg"; }
for l in "[shortcut]${nl}from=-1" "[route]${nl}layers=-1"; do
    layer0_cfg "$l"
    if dedup; "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then echo "FAIL: '$l' as the first layer was accepted"; failures=$((failures + 1))
    elif ! grep -q "#0: key '\(from\|layers\)' = -1, expected no reference: the first layer has no layer before it$" "$WORK/out"; then
        echo "FAIL: '$l' as the first layer: message does not say there is no layer before it:"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
    fi
done
expect_error sparsity "sparsity=1"
expect_error sparsity "sparsity=-0.1"
expect_error sparsity "threshold=0.1${nl}sparsity=0.3"
expect_error filters "filters=0"
expect_error filters "filters=-3"
expect_error filters "filters=abc"
expect_error size "size=0"
expect_error stride "stride=0"
expect_error groups "groups=0"
expect_error groups "groups=3"
expect_error pad "pad=-1"
expect_error wp "wp=0"
expect_error wn "wn=-1"
expect_error wpwn_decay "wpwn_decay=-0.1"
expect_error binary "binary=1"
expect_error xnor "xnor=1"
expect_error activation "activation=bogus"
expect_error batch_normalize "batch_normalize=yes"
expect_error per_filter "per_filter=2"
expect_error per_filter "per_filter=filter"
expect_ok "threshold=0.1"
expect_ok "sparsity=0"
expect_ok "sparsity=0.5${nl}wp=0.5${nl}wn=2${nl}wpwn_decay=0"
expect_ok "groups=2${nl}batch_normalize=1${nl}binary=0"
expect_ok "per_filter=1${nl}sparsity=0.4"
expect_ok "per_filter=0"

# [net]'s random erasing keys (patch 0601)
net_cfg() { printf '[net]\n%s\nbatch=1\nheight=8\nwidth=8\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n' "$1" >"$cfg"; }
expect_net_error() { expect_error "$1" "$2" net_cfg '\[net\] #0'; }
expect_net_error erase "erase=1.5"
expect_net_error erase "erase=-0.1"
expect_net_error erase "erase=half"
expect_net_error erase "erase=nan"
expect_net_error erase_min "erase_min=0"
expect_net_error erase_max "erase_max=1.2"
expect_net_error erase_max "erase_min=0.5${nl}erase_max=0.4"
expect_net_error erase_aspect "erase_aspect=0.5"
expect_net_error erase_aspect "erase_aspect=3x"
net_cfg "erase=0.5${nl}erase_min=0.1${nl}erase_max=0.1${nl}erase_aspect=1"
dedup; "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1 || { echo "FAIL: valid erase keys were rejected:"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }
if grep -q "not used by this section\|unknown key" "$WORK/out"; then echo "FAIL: erase keys reported unused"; failures=$((failures + 1)); fi
# detector training does not erase, and says so (it then stops on the missing image)
printf '%s\n' "$WORK/missing.png" >"$WORK/det.list"
printf 'classes=1\ntrain=%s\nbackup=%s\n' "$WORK/det.list" "$WORK" >"$WORK/det.data"
net_cfg "erase=0.5${nl}max_batches=1"
"$DARKNET" detector train "$WORK/det.data" "$cfg" >"$WORK/out" 2>&1 || true
grep -q "$cfg: \[net\] erase applies to classifier training only" "$WORK/out" || { echo "FAIL: detector train with erase gave no notice:"; tail -n 3 "$WORK/out"; failures=$((failures + 1)); }

# [net] and the common layers (patch 0505): upstream took text as 0, divided by it or indexed with it
expect_net_error batch "batch=0"
expect_net_error batch "batch=abc"
expect_net_error subdivisions "subdivisions=0"
expect_net_error subdivisions "batch=6${nl}subdivisions=4"
expect_net_error time_steps "time_steps=0"
expect_net_error height "height=0"
expect_net_error width "width=-2"
expect_net_error learning_rate "learning_rate=-0.1"
expect_net_error momentum "momentum=1"
expect_net_error decay "decay=-1"
expect_net_error max_crop "min_crop=40${nl}max_crop=30"
expect_net_error policy "policy=step_s"
expect_net_error steps "policy=steps"
expect_net_error scales "policy=steps${nl}steps=10,20${nl}scales=0.1"
expect_net_error steps "policy=steps${nl}steps=20,10${nl}scales=0.1,0.1"
expect_net_error steps "policy=steps${nl}steps=10,${nl}scales=0.1,0.1"
expect_net_error step "policy=step${nl}step=0"
expect_net_error max_batches "max_batches=-1"
expect_net_error ttq_log_every "ttq_log_every=-5"
net_cfg "policy=steps${nl}steps=-1,10${nl}scales=2,0.1${nl}height=0${nl}inputs=12"
sed -i 's/^\[convolutional\]/[connected]\noutput=3/; /^filters=\|^size=\|^pad=/d' "$cfg"
dedup; "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1 || { echo "FAIL: valid [net] keys were rejected:"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }
# layers after a 4-channel 8x8 [convolutional] #0
layer_cfg() { printf '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n\n[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n\n%s\n' "$1" >"$cfg"; }
expect_layer_error() { expect_error "$1" "$2" layer_cfg "$3"; }
expect_layer_error filters "[convolutional]${nl}filters=0" '\[convolutional\] #1'
expect_layer_error stride "[convolutional]${nl}stride=0" '\[convolutional\] #1'
expect_layer_error groups "[convolutional]${nl}groups=3" '\[convolutional\] #1'
expect_layer_error activation "[convolutional]${nl}activation=leakyrelu" '\[convolutional\] #1'
expect_layer_error size "[convolutional]${nl}size=11" '\[convolutional\] #1'
expect_layer_error learning_rate "[convolutional]${nl}learning_rate=-1" '\[convolutional\] #1'
expect_layer_error from "[shortcut]${nl}from=5" '\[shortcut\] #1'
expect_layer_error from "[shortcut]${nl}from=-2" '\[shortcut\] #1'
expect_layer_error from "[shortcut]" '\[shortcut\] #1'
expect_layer_error layers "[route]${nl}layers=-1,3" '\[route\] #1'
expect_layer_error size "[maxpool]${nl}size=0" '\[maxpool\] #1'
expect_layer_error output "[connected]${nl}output=0" '\[connected\] #1'
expect_layer_error groups "[softmax]${nl}groups=3" '\[softmax\] #1'
expect_layer_error probability "[dropout]${nl}probability=1" '\[dropout\] #1'
# [reorg]: stride 0.5 was read as 0 and divided by (floating-point exception); the input's channels
# (and, without reverse, its width and height) must divide by the stride (division by 0, overflow)
expect_layer_error stride "[reorg]${nl}stride=0.5" '\[reorg\] #1'
expect_layer_error stride "[reorg]${nl}stride=3" '\[reorg\] #1'
expect_layer_error stride "[reorg]${nl}stride=4${nl}reverse=1" '\[reorg\] #1'
expect_layer_error stride "[reorg]${nl}stride=4" '\[reorg\] #1'
# the sections without strict checks before the cfg fuzzer's 2026-12-05 run, whose keys Darknet
# read with atoi/atof (so 'size=2333333<bytes>' was 2333333, and the weights' int product overflowed
# in make_deconvolutional_layer): each key is checked like [convolutional]'s
expect_layer_error size "[deconvolutional]${nl}filters=4${nl}size=23x" '\[deconvolutional\] #1'
expect_layer_error filters "[deconvolutional]${nl}filters=0" '\[deconvolutional\] #1'
expect_layer_error pad "[deconvolutional]${nl}filters=4${nl}pad=2" '\[deconvolutional\] #1'
expect_layer_error padding "[deconvolutional]${nl}filters=4${nl}size=2${nl}padding=9" '\[deconvolutional\] #1'
expect_layer_error activation "[deconvolutional]${nl}activation=lineal" '\[deconvolutional\] #1'
expect_layer_error filters "[local]${nl}filters=-2" '\[local\] #1'
expect_layer_error size "[local]${nl}size=9" '\[local\] #1'
expect_layer_error stride "[local]${nl}stride=1.5" '\[local\] #1'
expect_layer_error crop_height "[crop]${nl}crop_height=9${nl}crop_width=4" '\[crop\] #1'
expect_layer_error crop_width "[crop]${nl}crop_height=4${nl}crop_width=0" '\[crop\] #1'
expect_layer_error angle "[crop]${nl}crop_height=4${nl}crop_width=4${nl}angle=nan" '\[crop\] #1'
expect_layer_error size "[normalization]${nl}size=0" '\[normalization\] #1'
expect_layer_error beta "[normalization]${nl}beta=x" '\[normalization\] #1'
expect_layer_error stride "[upsample]${nl}stride=0" '\[upsample\] #1'
expect_layer_error stride "[upsample]${nl}stride=-3" '\[upsample\] #1'
expect_layer_error output "[rnn]${nl}output=0" '\[rnn\] #1'
expect_layer_error tanh "[gru]${nl}output=4${nl}tanh=2" '\[gru\] #1'
expect_layer_error output "[lstm]${nl}output=4k" '\[lstm\] #1'
expect_layer_error hidden_filters "[crnn]${nl}hidden_filters=0" '\[crnn\] #1'
expect_layer_error type "[cost]${nl}type=l2" '\[cost\] #1'
expect_layer_error activation "[activation]${nl}activation=sigmoid" '\[activation\] #1'
expect_layer_error noloss "[softmax]${nl}noloss=yes" '\[softmax\] #1'
expect_layer_error stopbackward "[convolutional]${nl}stopbackward=2" '\[convolutional\] #1'
expect_layer_error smooth "[maxpool]${nl}smooth=inf" '\[maxpool\] #1'
# numload: load_convolutional_weights read numload filters into buffers made for `filters` (heap
# overflow with a long enough weights file)
expect_layer_error numload "[convolutional]${nl}filters=4${nl}numload=5" '\[convolutional\] #1'
expect_layer_error numload "[ternary]${nl}filters=4${nl}numload=1000" '\[ternary\] #1'
for ok in "[reorg]${nl}stride=2" "[reorg]${nl}stride=2${nl}reverse=1" "[upsample]${nl}stride=-2" \
          "[deconvolutional]${nl}filters=4${nl}size=2${nl}stride=2${nl}pad=1" "[local]${nl}filters=2${nl}size=3${nl}pad=1" \
          "[crop]${nl}crop_height=8${nl}crop_width=6${nl}flip=1" "[normalization]${nl}size=3" "[rnn]${nl}output=4" \
          "[crnn]${nl}hidden_filters=2${nl}output_filters=2" "[cost]${nl}type=smooth" "[softmax]${nl}noloss=1" \
          "[convolutional]${nl}filters=4${nl}numload=4" "[connected]${nl}output=4${nl}numload=9"; do
    layer_cfg "$ok"
    dedup; "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1 || { echo "FAIL: '$ok' was rejected:"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }
done
# detection heads: the filters before them must match (the classic [yolo] filters mistake)
expect_head_error() {  # needle  head-section
    layer_cfg "$2"
    if dedup; "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then echo "FAIL: '$2' was accepted"; failures=$((failures + 1)); return; fi
    grep -q "$cfg: section $1" "$WORK/out" || { echo "FAIL: '$2': no message '$1':"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }
}
expect_head_error "\[yolo\] #1: the layer before it has 4 filters; \[yolo\] with 3 masks and classes=80 needs 3 x (80 + 5) = 255 (set filters=255" "[yolo]${nl}mask=0,1,2${nl}num=6${nl}classes=80"
expect_head_error "\[yolo\] #1: key 'mask'" "[yolo]${nl}mask=0,6${nl}num=6${nl}classes=80"
expect_head_error "\[yolo\] #1: key 'anchors'" "[yolo]${nl}mask=0${nl}num=2${nl}classes=1${nl}anchors=10,14,23"
expect_head_error "\[region\] #1: the layer before it has 4 filters; \[region\] with num=5, classes=20, coords=4 needs 5 x (20 + 4 + 1) = 125" "[region]${nl}num=5${nl}classes=20"
expect_head_error "\[iseg\] #1: the layer before it has 4 filters" "[iseg]${nl}classes=2${nl}ids=8"
layer_cfg "[yolo]${nl}mask=0${nl}num=2${nl}classes=1${nl}anchors=10,14,23,27"   # 1 x (1 + 5) = 6 != 4 filters
sed -i 's/^filters=4/filters=6/' "$cfg"
dedup; "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1 || { echo "FAIL: a matching [yolo] head was rejected:"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }

# whole-file faults, each one message naming the file
expect_file_error() {  # what-the-message-says  cfg-text
    printf '%b' "$2" >"$cfg"
    if "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then
        echo "FAIL: cfg with $1 was accepted"; failures=$((failures + 1)); return
    fi
    grep -q "^$cfg: .*$1" "$WORK/out" || { echo "FAIL: no message '$1':"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }
}
expect_file_error "not a section type Darknet knows" '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n[convolutinal]\nfilters=4\n'
expect_file_error "only the first section may be \\[net\\]" '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n[net]\n'
expect_file_error "line 6: section \\[net\\]: 'filters4' is not key=value" '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\nfilters 4\n[avgpool]\n'
expect_file_error "line 2: section \\[net\\]: 'batch=' is not key=value" '[net]\nbatch=\nheight=8\nwidth=8\nchannels=4\n[avgpool]\n'
expect_file_error "line 1: 'batch=1' comes before the first \\[section\\]" 'batch=1\n[net]\n'
expect_file_error "the first section must be \\[net\\]" '[convolutional]\nfilters=4\n'
expect_file_error "no layer sections after \\[net\\]" '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n'
expect_file_error "no sections" '# nothing\n'
expect_file_error "\\[dropout\\] cannot be the first layer" '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n[dropout]\n'
# lines the reader cannot split (patch 0519): a NUL byte (upstream's reader stopped the line there
# and joined the next line to it) and CR line endings (the whole file one line); CRLF is read
expect_file_error "line 5: a NUL byte (byte 35): not a text file" '[net]\nbatch=1\nheight=8\nwidth=8\nchan\0nels=4\n[avgpool]\n'
expect_file_error "line 1: a carriage return inside the line (byte 5): CR line endings?" '[net]\rbatch=1\rheight=8\rwidth=8\rchannels=4\r[avgpool]\r'
expect_file_error "line 3: a carriage return inside the line (byte 24)" '[net]\r\nbatch=1\r\nheight=8\rwidth=8\r\nchannels=4\r\n[avgpool]\r\n'
printf '[net]\r\nbatch=1\r\nheight=8\r\nwidth=8\r\nchannels=4\r\n\r\n[avgpool]\r\n' >"$cfg"
"$DARKNET" ops "$cfg" >"$WORK/out" 2>&1 || { echo "FAIL: a cfg with CRLF line endings was rejected:"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }

# sizes within each key's range whose products overflow Darknet's int indices (upstream: a signed
# overflow, then a short buffer and a segmentation fault in parser.c or convolutional_layer.c):
# one message naming the section and the key, computed in 64 bits before anything is allocated
expect_size_error() {  # section-and-key as in the message, cfg text
    printf '%b' "$2" >"$cfg"
    if "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then
        echo "FAIL: sizes '$2' were accepted"; failures=$((failures + 1)); return
    fi
    if [ "$(grep -c "^$cfg: section $1 = [-0-9,]*, expected .*2147483647" "$WORK/out")" -ne 1 ]; then
        echo "FAIL: sizes '$2': no one message naming '$1' and the int limit:"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
    fi
}
net8='[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n'
expect_size_error "\\[net\\] #0: key 'channels'" '[net]\nbatch=1\nheight=100000\nwidth=100000\nchannels=3\n[avgpool]\n'
expect_size_error "\\[net\\] #0: key 'batch'" '[net]\nbatch=1000\nheight=1000\nwidth=1000\nchannels=3\n[avgpool]\n'
expect_size_error "\\[convolutional\\] #0: key 'padding'" "$net8"'[convolutional]\nfilters=4\nsize=3\npadding=1000000000\n[avgpool]\n'
expect_size_error "\\[convolutional\\] #0: key 'filters'" '[net]\nbatch=1\nheight=64\nwidth=64\nchannels=3\n[convolutional]\nfilters=1000000\nsize=1\n[avgpool]\n'
expect_size_error "\\[ternary\\] #0: key 'filters'" '[net]\nbatch=1\nheight=64\nwidth=64\nchannels=3\n[ternary]\nfilters=1000000\nsize=1\n[avgpool]\n'
expect_size_error "\\[convolutional\\] #0: key 'size'" '[net]\nbatch=1\nheight=512\nwidth=512\nchannels=128\n[convolutional]\nfilters=1\nsize=9\npad=1\n[avgpool]\n'
expect_size_error "\\[connected\\] #0: key 'output'" "$net8"'[connected]\noutput=10000000\n'
expect_size_error "\\[upsample\\] #0: key 'stride'" "$net8"'[upsample]\nstride=100000\n'
expect_size_error "\\[maxpool\\] #0: key 'padding'" "$net8"'[maxpool]\nsize=2\nstride=1\npadding=1000000000\n'
# [deconvolutional]: its forward pass multiplies (size^2 x filters) x (rows x columns) in int
expect_size_error "\\[deconvolutional\\] #0: key 'size'" '[net]\nbatch=1\nheight=64\nwidth=64\nchannels=1\n[deconvolutional]\nfilters=1024\nsize=32\nstride=1\n'
# [route]: the sum of the outputs it joins (64 references to a 40 000 000-value layer)
refs=$(printf -- '-1,%.0s' $(seq 63))-1
expect_size_error "\\[route\\] #1: key 'layers'" '[net]\nbatch=1\nheight=1000\nwidth=1000\nchannels=40\n[activation]\nactivation=linear\n[route]\nlayers='"$refs"'\n'
# recurrent layers: their inner [connected] layers' outputs x outputs weights (fuzz_cfg, 2026-12-05:
# [rnn] output=162000, signed overflow in make_connected_layer)
expect_size_error "\\[rnn\\] #0: key 'output'" '[net]\nbatch=1\ninputs=256\ntime_steps=1\n[rnn]\noutput=162000\n'
expect_size_error "\\[gru\\] #0: key 'output'" '[net]\nbatch=1\ninputs=256\ntime_steps=1\n[gru]\noutput=100000\n'
expect_size_error "\\[lstm\\] #0: key 'output'" '[net]\nbatch=1\ninputs=256\ntime_steps=1\n[lstm]\noutput=50000\n'
expect_size_error "\\[crnn\\] #0: key 'hidden_filters'" "$net8"'[crnn]\nhidden_filters=20000\noutput_filters=2\n'

# a key given twice in one section with two values: an error naming both lines (Darknet used the
# first and dropped the second silently); the same value twice, or the key in two sections, is fine
printf '[net]\nbatch=1\n subdivisions = 1\nheight=8\nwidth=8\nchannels=4\n# batch=2\nbatch = 2\n[convolutional]\nfilters=4\nsize=3\n' >"$cfg"
if "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then echo "FAIL: batch given twice was accepted"; failures=$((failures + 1))
elif ! grep -q "^$cfg: line 8: key 'batch' = 2 is given again in section \[net\] (line 2: 1); Darknet would use the first: delete one of the two lines$" "$WORK/out"; then
    echo "FAIL: batch given twice: not the duplicate-key message:"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
fi
printf '[net]\nbatch=1\nbatch=1\nheight=8\nwidth=8\nchannels=4\n[convolutional]\nfilters=4\nsize=3\n[convolutional]\nfilters=4\nsize=3\n' >"$cfg"
"$DARKNET" ops "$cfg" >"$WORK/out" 2>&1 || { echo "FAIL: the same value twice, or a key in two sections, was rejected:"; tail -n 2 "$WORK/out"; failures=$((failures + 1)); }

# a key no section of Darknet reads (a typo) is an error naming file, section and key, with the key
# meant (upstream: "Unused field" and a network with filters=1); a key Darknet knows but the
# section did not read stays a warning; the line numbers count sections as Darknet does
expect_unknown() {  # cfg text, expected message after "<cfg>: "
    printf "$1" >"$cfg"
    if "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then echo "FAIL: unknown key accepted: $2"; failures=$((failures + 1))
    elif ! grep -qF "$cfg: $2" "$WORK/out"; then
        echo "FAIL: unknown key: expected '$2', got:"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
    fi
}
net8u='[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\n'
expect_unknown "$net8u"'[convolutional]\nfiltres=16\nsize=3\n' "section [convolutional] #0: unknown key 'filtres' (did you mean 'filters'?)"
expect_unknown "$net8u"'[convolutional]\nfilters=4\nsize=3\n[ternary]\nfilters=4\nthreshhold=0.1\n' "section [ternary] #1: unknown key 'threshhold' (did you mean 'threshold'?)"
expect_unknown '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\nlearning_rat=0.1\n[avgpool]\n' "section [net] #0: unknown key 'learning_rat' (did you mean 'learning_rate'?)"
expect_unknown "$net8u"'[maxpool]\nsize=2\nstride=2\nfrobnicate=1\n' "section [maxpool] #0: unknown key 'frobnicate' (no section of Darknet reads it)"
expect_unknown "$net8u"'[convolutional]\nfilters=75\nsize=1\n[yolo]\nmask=0,1,2\nanchors=1,1,2,2,3,3\nnum=3\nclases=10\n' "section [yolo] #1: unknown key 'clases' (did you mean 'classes'?)"
printf '[net]\nbatch=1\nheight=8\nwidth=8\nchannels=4\npolicy=poly\nsteps=10\n[maxpool]\nsize=2\nstride=2\n' >"$cfg"
if ! "$DARKNET" ops "$cfg" >"$WORK/out" 2>&1; then echo "FAIL: a known but unused key was an error:"; tail -n 2 "$WORK/out"; failures=$((failures + 1))
elif ! grep -qF "$cfg: section [net] #0: key 'steps' is not used by this section (ignored)" "$WORK/out"; then
    echo "FAIL: steps under policy=poly: no warning"; tail -n 3 "$WORK/out"; failures=$((failures + 1))
fi

# a cfg or weights file that does not exist is an error, not a silent success
if "$DARKNET" ops "$WORK/missing.cfg" >"$WORK/out" 2>&1; then
    echo "FAIL: a missing cfg exited 0"; failures=$((failures + 1))
fi
[ "$failures" -eq 0 ]
