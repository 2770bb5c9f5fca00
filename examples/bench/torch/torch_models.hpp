// SPDX-License-Identifier: MIT
// The two reference models in the libtorch C++ frontend, shared by torch-bench and torch-step.
#pragma once

#include <torch/torch.h>

namespace torch_models {

using namespace torch::nn;

inline Sequential mlp_generator() {
  auto leaky = [] { return LeakyReLU(LeakyReLUOptions().negative_slope(0.2)); };
  return Sequential(Linear(100, 256), leaky(), Linear(256, 512), leaky(), Linear(512, 1024), leaky(), Linear(1024, 784), Tanh());
}

inline Sequential mlp_discriminator() {
  auto leaky = [] { return LeakyReLU(LeakyReLUOptions().negative_slope(0.2)); };
  return Sequential(Linear(784, 512), leaky(), Linear(512, 256), leaky(), Linear(256, 1));
}

inline ConvTranspose2d up(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p) {
  return ConvTranspose2d(ConvTranspose2dOptions(in, out, k).stride(s).padding(p).bias(false));
}

inline Conv2d down(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p) {
  return Conv2d(Conv2dOptions(in, out, k).stride(s).padding(p).bias(false));
}

// The PyTorch C++ frontend's MNIST DCGAN: 1 -> 4 -> 7 -> 14 -> 28 and back.
inline Sequential dcgan_generator() {
  return Sequential(up(100, 256, 4, 1, 0), BatchNorm2d(256), ReLU(), up(256, 128, 3, 2, 1), BatchNorm2d(128), ReLU(),
                    up(128, 64, 4, 2, 1), BatchNorm2d(64), ReLU(), up(64, 1, 4, 2, 1), Tanh());
}

inline Sequential dcgan_discriminator() {
  auto leaky = [] { return LeakyReLU(LeakyReLUOptions().negative_slope(0.2)); };
  return Sequential(down(1, 64, 4, 2, 1), leaky(), down(64, 128, 4, 2, 1), BatchNorm2d(128), leaky(),
                    down(128, 256, 4, 2, 1), BatchNorm2d(256), leaky(), down(256, 1, 3, 1, 0));
}

}  // namespace torch_models
