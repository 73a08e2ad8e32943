# Sourced by the detector tests (t_detector, t_python): tiny_yolo_cfg TYPE BN prints a small YOLO
# for the 96x96 Fashion-MNIST detection scenes (10 classes), with TYPE ([convolutional] or
# [ternary]) as its two inner layers and batch_normalize=BN; batch 8, 3 iterations of training.
tiny_yolo_cfg() {  # type of the inner layers, batch_normalize
    cat <<EOF
[net]
batch=8
subdivisions=1
width=96
height=96
channels=3
momentum=0.9
decay=0.0005
learning_rate=0.001
policy=constant
max_batches=3

[convolutional]
batch_normalize=$2
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[$1]
batch_normalize=$2
filters=16
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=4
stride=4

[$1]
batch_normalize=$2
filters=32
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=45
size=1
stride=1
pad=0
activation=linear

[yolo]
mask=0,1,2
anchors=13,28, 24,28, 34,38
classes=10
num=3
jitter=.2
ignore_thresh=.7
truth_thresh=1
random=0
EOF
}
