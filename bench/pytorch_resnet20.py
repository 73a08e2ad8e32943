"""PyTorch reference for `make bench`: trains the same CIFAR-style ResNet-20 as cfg/resnet20.cfg
(3x3 convolutions with batch norm, identity shortcuts subsampled and zero-padded where the shape
changes, global average pool, linear classifier) on random 32x32x3 batches of 128 with SGD, and
prints the median training-step time. Uses Debian's python3-torch, all cores."""
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        s = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.pad:
            s = F.pad(s, (0, 0, 0, 0, 0, self.pad))
        return F.relu(y + s)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.b = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for i, w in enumerate((16, 32, 64)):
            for j in range(3):
                layers.append(Block(cin, w, 2 if i > 0 and j == 0 else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.b(self.c(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(1)
    net = ResNet20()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4)
    x = torch.rand(128, 3, 32, 32)
    y = torch.randint(0, 10, (128,))
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        if i:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print("pytorch %s resnet20 (FP)  batch 128: median step %.4f s (min %.4f, max %.4f, %d steps), %.1f img/s"
          % (torch.__version__, med, min(times), max(times), steps, 128 / med))


if __name__ == "__main__":
    main()
