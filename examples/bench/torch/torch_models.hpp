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
  return Sequential(up(100, 256, 4, 1, 0), BatchNorm2d(256), ReLU(), up(256, 128, 3, 2, 1), BatchNorm2d(128), ReLU(), up(128, 64, 4, 2, 1),
                    BatchNorm2d(64), ReLU(), up(64, 1, 4, 2, 1), Tanh());
}

inline Sequential dcgan_discriminator() {
  auto leaky = [] { return LeakyReLU(LeakyReLUOptions().negative_slope(0.2)); };
  return Sequential(down(1, 64, 4, 2, 1), leaky(), down(64, 128, 4, 2, 1), BatchNorm2d(128), leaky(), down(128, 256, 4, 2, 1), BatchNorm2d(256),
                    leaky(), down(256, 1, 3, 1, 0));
}

// ganpp-sr's MNIST SRGAN models (ganpp::srresnet_generator with 32 channels and 8 blocks, ganpp::srgan_discriminator
// with 32 channels, 2 stages and 256 dense units), layer for layer.
struct SrResNetImpl : Module {
  Sequential head{nullptr}, trunk{nullptr}, tail{nullptr};
  std::vector<Sequential> blocks;
  SrResNetImpl(int64_t c, int64_t n_blocks) {
    auto conv = [](int64_t in, int64_t out, int64_t k, bool bias) { return Conv2d(Conv2dOptions(in, out, k).padding(k / 2).bias(bias)); };
    auto prelu = [](int64_t channels) { return PReLU(PReLUOptions().num_parameters(channels)); };
    head = register_module("head", Sequential(conv(1, c, 9, true), prelu(c)));
    for (int64_t b = 0; b < n_blocks; ++b)
      blocks.push_back(register_module("block" + std::to_string(b),
                                       Sequential(conv(c, c, 3, false), BatchNorm2d(c), prelu(c), conv(c, c, 3, false), BatchNorm2d(c))));
    trunk = register_module("trunk", Sequential(conv(c, c, 3, false), BatchNorm2d(c)));
    tail = register_module("tail", Sequential(conv(c, 4 * c, 3, true), PixelShuffle(2), prelu(c), conv(c, 4 * c, 3, true), PixelShuffle(2), prelu(c),
                                              conv(c, 1, 9, true), Tanh()));
  }
  torch::Tensor forward(torch::Tensor x) {
    const auto h = head->forward(x);
    auto t = h;
    for (auto& b : blocks) t = t + b->forward(t);
    return tail->forward(h + trunk->forward(t));
  }
};
TORCH_MODULE(SrResNet);

inline Sequential srgan_discriminator(int64_t c) {
  auto leaky = [] { return LeakyReLU(LeakyReLUOptions().negative_slope(0.2)); };
  auto conv = [](int64_t in, int64_t out, int64_t s, bool bias) { return Conv2d(Conv2dOptions(in, out, 3).stride(s).padding(1).bias(bias)); };
  return Sequential(conv(1, c, 1, true), leaky(), conv(c, c, 2, false), BatchNorm2d(c), leaky(), conv(c, 2 * c, 1, false), BatchNorm2d(2 * c),
                    leaky(), conv(2 * c, 2 * c, 2, false), BatchNorm2d(2 * c), leaky(), Flatten(), Linear(2 * c * 7 * 7, 256), leaky(),
                    Linear(256, 1));
}

}  // namespace torch_models
