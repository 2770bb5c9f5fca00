#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""classifier.py: the PyTorch (Python) peer of ganpp-classifier, the MNIST evaluation classifier.

The same network and recipe as examples/score/mnist_classifier.hpp: conv 3x3 (1 -> 32, padding 1), max pool 2,
ReLU, conv 3x3 (32 -> 64, padding 1), max pool 2, ReLU, linear 3136 -> 128, ReLU (the features), dropout 0.3,
linear 128 -> 10; softmax cross-entropy, Adam lr 1e-3 on batches of 64 from a fresh permutation each epoch (the
last partial batch dropped), the learning rate divided by 10 for the last epoch, the test accuracy after each epoch.
Images in [-1, 1]. Only the initial weights differ (PyTorch's defaults; ganpp draws Kaiming/Xavier).
The time covers what ganpp-classifier's does: training and the per-epoch test evaluation, not reading the files.
Prints one line per epoch, then one JSON line: {"impl": "pytorch", "threads", "epochs", "seconds", "accuracy"}.

usage: python3 classifier.py [--data MNIST_DIR] [--threads 2] [--epochs 4] [--seed 0]
"""
import argparse
import ctypes
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path, magic, dims):
    """A uint8 IDX file as a tensor of shape (count,) + dims, checked against its header."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 + 4 * (1 + len(dims)) or int.from_bytes(raw[0:4], "big") != magic:
        raise SystemExit("classifier.py: %s: not a uint8 IDX file (magic 0x%08x expected)" % (path, magic))
    header = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(1 + len(dims))]
    start = 4 + 4 * len(header)
    size = header[0]
    for d in dims:
        size *= d
    if tuple(header[1:]) != dims or len(raw) != start + size:
        raise SystemExit("classifier.py: %s: expected %s items filling the file, header says %s in %d bytes" % (path, dims, header, len(raw)))
    return torch.frombuffer(bytearray(raw[start:]), dtype=torch.uint8).reshape((header[0],) + dims)


def load(directory, split):
    images = read_idx(os.path.join(directory, split + "-images-idx3-ubyte"), 0x803, (28, 28))
    labels = read_idx(os.path.join(directory, split + "-labels-idx1-ubyte"), 0x801, ())
    return images.float().div_(127.5).sub_(1.0).unsqueeze(1), labels.long()


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 7 * 7, 128)
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        return self.head(self.drop(F.relu(self.fc(x.flatten(1)))))


def accuracy(net, images, labels):
    net.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(images), 500):
            right += (net(images[start:start + 500]).argmax(1) == labels[start:start + 500]).sum().item()
    net.train()
    return right / len(images)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="data/mnist", help="folder with MNIST's four IDX files")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    try:  # as torch_bench.py: keep glibc from unmapping every large block freed (page faults every step)
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
    except OSError:
        pass
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train_x, train_y = load(a.data, "train")
    test_x, test_y = load(a.data, "t10k")
    net = Classifier()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    acc = 0.0
    for epoch in range(a.epochs):
        if epoch == a.epochs - 1 and a.epochs > 1:
            for g in opt.param_groups:
                g["lr"] = 1e-4
        order = torch.randperm(len(train_x))
        loss_sum, steps = 0.0, 0
        for b in range(len(train_x) // 64):
            idx = order[b * 64:(b + 1) * 64]
            opt.zero_grad()
            loss = F.cross_entropy(net(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            steps += 1
        acc = accuracy(net, test_x, test_y)
        print("pytorch classifier epoch %d/%d: train loss %.4f, test accuracy %.2f%% (%.0f s)"
              % (epoch + 1, a.epochs, loss_sum / steps, 100 * acc, time.perf_counter() - start), flush=True)
    print(json.dumps({"impl": "pytorch", "threads": a.threads, "epochs": a.epochs,
                      "seconds": round(time.perf_counter() - start, 1), "accuracy": round(acc, 4)}))


if __name__ == "__main__":
    main()
