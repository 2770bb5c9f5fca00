#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stylegan_bench.py: the PyTorch peer of `ganpp-bench --model stylegan`: the same StyleGAN2-lite model and iteration.

Model (include/ganpp/models/stylegan.hpp with --channels C, default 32): mapping PixelNorm + 4 equalized linear layers
64 -> 64 (lr x 0.01) with LeakyReLU(0.2); synthesis from a learned constant (C, 4, 4) through modulated 3x3 convolutions
(styles scale the input channels, one shared convolution, demodulation as a per-sample, per-output-channel scale),
bilinear 2x upsampling, noise with per-channel strength, bias, LeakyReLU(0.2) * sqrt(2); toRGB (1x1, no demodulation)
skip outputs; channels C, C, C/2, C/2 at 4, 8, 16, 32. Discriminator: fromRGB 1x1, residual blocks (3x3, 3x3 stride 2;
skip 1x1 stride 2), minibatch stddev, 3x3 conv, two linear layers.

Iteration (ganpp::StyleGanTrainer::step): 2N latents -> w, style mixing with probability 0.9; D step on the real batch
and the detached fake batch (non-saturating loss), R1 (gamma 1 x 16) on every 16th step; G step on a fresh batch; EMA
update and w_avg update. Adam lr 2e-3, betas (0, 0.99). Real batches: MNIST padded to 32x32 (--data DIR) or random.
Prints one JSON line with ganpp-bench's keys.

usage: python3 stylegan_bench.py [--data MNIST_DIR] [--threads 2] [--iters 48] [--warmup 16] [--batch 32] [--channels 32]
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_bench import pin_malloc_thresholds, read_mnist_images

W_DIM = 64


class EqLinear(nn.Module):
    def __init__(self, i, o, lr_mul=1.0, bias_init=0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(o, i))
        self.bias = nn.Parameter(torch.full((o,), float(bias_init)))
        self.scale = 1 / math.sqrt(i)
        self.lr_mul = lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, self.bias)


class EqConv(nn.Module):
    def __init__(self, i, o, k, stride=1, padding=0, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(o, i, k, k))
        self.bias = nn.Parameter(torch.zeros(o)) if bias else None
        self.scale = 1 / math.sqrt(i * k * k)
        self.stride, self.padding = stride, padding

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, self.stride, self.padding)


class StyleConv(nn.Module):
    def __init__(self, cin, cout, k, res, up=False, demod=True, noise=True, act=True):
        super().__init__()
        self.affine = EqLinear(W_DIM, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.strength = nn.Parameter(torch.zeros(cout)) if noise else None
        self.c = 1 / math.sqrt(cin * k * k)
        self.k, self.res, self.up, self.demod, self.act = k, res, up, demod, act

    def forward(self, x, w):
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        s = self.affine(w)
        v = F.conv2d(x * s[:, :, None, None], self.weight, padding=self.k // 2)
        if self.demod:
            q = self.weight.square().sum((2, 3)) * self.c ** 2  # (Cout, Cin)
            scale = self.c * torch.rsqrt(s.square() @ q.t() + 1e-8)
        else:
            scale = torch.full((x.shape[0], v.shape[1]), self.c)
        y = v * scale[:, :, None, None]
        if self.strength is not None:
            y = y + self.strength[None, :, None, None] * torch.randn(x.shape[0], 1, self.res, self.res)
        y = y + self.bias[None, :, None, None]
        return F.leaky_relu(y, 0.2) * math.sqrt(2) if self.act else y


class Generator(nn.Module):
    def __init__(self, ch):
        super().__init__()
        chans = [ch, ch, max(ch // 2, 1), max(ch // 2, 1)]
        layers = []
        for i in range(4):
            layers += [EqLinear(W_DIM, W_DIM, lr_mul=0.01), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*layers)
        self.const = nn.Parameter(torch.randn(chans[0], 4, 4))
        self.convs, self.rgbs = nn.ModuleList(), nn.ModuleList()
        for b, c in enumerate(chans):
            res = 4 << b
            if b == 0:
                self.convs.append(StyleConv(c, c, 3, res))
            else:
                self.convs.append(StyleConv(chans[b - 1], c, 3, res, up=True))
                self.convs.append(StyleConv(c, c, 3, res))
            self.rgbs.append(StyleConv(c, 1, 1, res, demod=False, noise=False, act=False))
        self.num_ws = 2 * len(chans)

    def map(self, z):
        z = z * torch.rsqrt(z.square().mean(1, keepdim=True) + 1e-8)
        return self.mapping(z)

    def synthesize(self, ws):
        x = self.convs[0](self.const.expand(ws.shape[0], -1, -1, -1), ws[:, 0])
        img = self.rgbs[0](x, ws[:, 1])
        for b in range(1, len(self.rgbs)):
            x = self.convs[2 * b - 1](x, ws[:, 2 * b - 1])
            x = self.convs[2 * b](x, ws[:, 2 * b])
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False) + self.rgbs[b](x, ws[:, 2 * b + 1])
        return img


class Residual(nn.Module):
    def __init__(self, c, n):
        super().__init__()
        self.body = nn.Sequential(EqConv(c, c, 3, 1, 1), nn.LeakyReLU(0.2), EqConv(c, n, 3, 2, 1), nn.LeakyReLU(0.2))
        self.skip = EqConv(c, n, 1, 2, 0, bias=False)

    def forward(self, x):
        return self.body(x) + self.skip(x)


class MinibatchStdDev(nn.Module):
    def forward(self, x):
        s = torch.sqrt(x.var(0, unbiased=False) + 1e-8).mean()
        return torch.cat([x, s.expand(x.shape[0], 1, x.shape[2], x.shape[3])], 1)


def discriminator(ch):
    chans = [ch, ch, max(ch // 2, 1), max(ch // 2, 1)]
    layers = [EqConv(1, chans[3], 1), nn.LeakyReLU(0.2)]
    for b in range(3, 0, -1):
        layers.append(Residual(chans[b], chans[b - 1]))
    layers += [MinibatchStdDev(), EqConv(chans[0] + 1, chans[0], 3, 1, 1), nn.LeakyReLU(0.2), nn.Flatten(),
               EqLinear(chans[0] * 16, chans[0]), nn.LeakyReLU(0.2), EqLinear(chans[0], 1)]
    return nn.Sequential(*layers)


def adam(module, lr):
    groups = {}
    for m in module.modules():
        for p in m.parameters(recurse=False):
            groups.setdefault(getattr(m, "lr_mul", 1.0), []).append(p)
    return torch.optim.Adam([{"params": ps, "lr": lr * mul} for mul, ps in groups.items()], lr=lr, betas=(0.0, 0.99), eps=1e-8)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="", help="folder with MNIST's train-images-idx3-ubyte (default: random data)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=48)
    p.add_argument("--warmup", type=int, default=16)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--channels", type=int, default=32)
    a = p.parse_args()
    if min(a.threads, a.iters, a.warmup, a.batch, a.channels) < 1:
        p.error("--threads, --iters, --warmup, --batch and --channels must be positive")
    pin_malloc_thresholds()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g, d = Generator(a.channels), discriminator(a.channels)
    ema = [t.detach().clone() for t in g.parameters()]
    w_avg = torch.zeros(W_DIM)
    g_opt, d_opt = adam(g, 2e-3), adam(d, 2e-3)
    images = read_mnist_images(a.data) if a.data else torch.rand(60000, 28, 28) * 2 - 1
    data = F.pad(images, (2, 2, 2, 2), value=-1.0).reshape(-1, 1, 32, 32)
    count, n, L = data.shape[0], a.batch, g.num_ws
    per_epoch = count // n
    order = None

    def draw_ws():
        w = g.map(torch.randn(2 * n, W_DIM))
        cross = torch.full((n,), L)
        mix = torch.rand(n) < 0.9
        cross[mix] = 1 + (torch.rand(int(mix.sum())) * (L - 1)).long()
        take_first = (torch.arange(L)[None, :] < cross[:, None])[:, :, None]
        return torch.where(take_first, w[:n, None, :], w[n:, None, :]), w[:n]

    times = []
    for i in range(a.warmup + a.iters):
        t0 = time.perf_counter()
        b = i % per_epoch
        if b == 0:
            order = torch.randperm(count)
        real = data[order[b * n:(b + 1) * n]]
        # Discriminator (+ lazy R1).
        with torch.no_grad():
            fake = g.synthesize(draw_ws()[0])
        d_opt.zero_grad()
        d_loss = F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()
        d_loss.backward()
        if (i + 1) % 16 == 0:
            r = real.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(d(r).sum(), r, create_graph=True)
            (1.0 * 16 / 2 * grad.square().sum((1, 2, 3)).mean()).backward()
        d_opt.step()
        # Generator.
        g_opt.zero_grad()
        ws, w = draw_ws()
        for q in d.parameters():
            q.requires_grad_(False)
        g_loss = F.softplus(-d(g.synthesize(ws))).mean()
        g_loss.backward()
        for q in d.parameters():
            q.requires_grad_(True)
        g_opt.step()
        with torch.no_grad():
            for e, q in zip(ema, g.parameters()):
                e.lerp_(q, 1 - 0.999)
            w_avg.lerp_(w.mean(0), 1 - 0.995)
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    median = statistics.median(times)
    print(json.dumps({"model": "stylegan", "impl": "pytorch", "torch": torch.__version__, "threads": a.threads, "batch": n,
                      "iters": a.iters, "ms_per_iter_median": round(median, 3), "ms_per_iter_mean": round(statistics.mean(times), 3),
                      "ms_p10": round(times[len(times) // 10], 3), "ms_p90": round(times[len(times) * 9 // 10], 3),
                      "images_per_s": round(n / (median / 1e3), 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)}), flush=True)


if __name__ == "__main__":
    main()
