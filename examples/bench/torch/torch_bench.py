#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""torch_bench.py: the PyTorch (Python) peer of ganpp-bench and torch-bench.

Same models and recipe: one D step (real batch, detached fake batch) then one G step (the same fake batch
re-scored by the updated D), Adam lr 2e-4 betas (0.5, 0.999), BCE-with-logits, z ~ N(0, 1)^100, real batches gathered
from a fresh permutation of MNIST's training images in [-1, 1] (--data DIR), or of a random set of the same size.
Prints one JSON line per model with ganpp-bench's keys.

usage: python3 torch_bench.py [--model mlp|dcgan|all] [--data MNIST_DIR] [--threads 2] [--iters 50] [--warmup 10] [--batch 64]
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():
    g = nn.Sequential(nn.Linear(100, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                      nn.Linear(512, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 784), nn.Tanh())
    d = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
    return g, d, (784,), (100,)


def dcgan():
    def up(i, o, k, s, p):
        return nn.ConvTranspose2d(i, o, k, s, p, bias=False)

    def down(i, o, k, s, p):
        return nn.Conv2d(i, o, k, s, p, bias=False)

    g = nn.Sequential(up(100, 256, 4, 1, 0), nn.BatchNorm2d(256), nn.ReLU(), up(256, 128, 3, 2, 1), nn.BatchNorm2d(128),
                      nn.ReLU(), up(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(), up(64, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(down(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), down(64, 128, 4, 2, 1), nn.BatchNorm2d(128),
                      nn.LeakyReLU(0.2), down(128, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
                      down(256, 1, 3, 1, 0))
    return g, d, (1, 28, 28), (100, 1, 1)


def read_mnist_images(directory):
    """MNIST's training images as a (60000, 28, 28) float tensor in [-1, 1]."""
    path = os.path.join(directory, "train-images-idx3-ubyte")
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 16 or int.from_bytes(raw[0:4], "big") != 0x803:
        raise SystemExit("torch_bench.py: %s: not a uint8 IDX3 file (magic 0x00000803 expected)" % path)
    count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    if (rows, cols) != (28, 28) or len(raw) != 16 + count * rows * cols:
        raise SystemExit("torch_bench.py: %s: expected 28x28 images filling the file, header says %dx%dx%d in %d bytes"
                         % (path, count, rows, cols, len(raw)))
    pixels = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(count, rows, cols)
    return pixels.float().div_(127.5).sub_(1.0)


def pin_malloc_thresholds():
    """Keep glibc from returning each step's freed tensors to the OS (see torch_bench.cpp for the measurement)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    libc.mallopt(m_mmap_threshold, 32 << 20)
    libc.mallopt(m_trim_threshold, 64 << 20)


def run(model, data_dir, threads, batch, iters, warmup):
    torch.manual_seed(0)
    g, d, sample_shape, latent_shape = (mlp if model == "mlp" else dcgan)()
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    # Batches gathered from a fresh permutation of the data set, as a training loop over MNIST does.
    images = read_mnist_images(data_dir) if data_dir else torch.rand(60000, 28, 28) * 2 - 1
    count = images.shape[0]
    per_epoch = count // batch
    data = images.reshape((count,) + sample_shape)
    order = None
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    times = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        b = i % per_epoch
        if b == 0:
            order = torch.randperm(count)
        real = data[order[b * batch:(b + 1) * batch]]
        fake = g(torch.randn((batch,) + latent_shape))
        d_opt.zero_grad()
        d_loss = (F.binary_cross_entropy_with_logits(d(real).view(batch, 1), ones) +
                  F.binary_cross_entropy_with_logits(d(fake.detach()).view(batch, 1), zeros))
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = F.binary_cross_entropy_with_logits(d(fake).view(batch, 1), ones)
        g_loss.backward()
        g_opt.step()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    median = statistics.median(times)
    print(json.dumps({"model": model, "impl": "pytorch", "torch": torch.__version__, "threads": threads, "batch": batch,
                      "iters": iters, "ms_per_iter_median": round(median, 3), "ms_p10": round(times[len(times) // 10], 3),
                      "ms_p90": round(times[len(times) * 9 // 10], 3), "images_per_s": round(batch / (median / 1e3), 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["mlp", "dcgan", "all"], default="all")
    p.add_argument("--data", default="", help="folder with MNIST's train-images-idx3-ubyte (default: random data)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    if min(a.threads, a.iters, a.warmup, a.batch) < 1:
        p.error("--threads, --iters, --warmup and --batch must be positive")
    pin_malloc_thresholds()
    torch.set_num_threads(a.threads)  # Debian's torch starts with one intra-op thread unless told otherwise
    for m in (["mlp", "dcgan"] if a.model == "all" else [a.model]):
        run(m, a.data, a.threads, a.batch, a.iters, a.warmup)


if __name__ == "__main__":
    main()
