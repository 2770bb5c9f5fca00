// SPDX-License-Identifier: MIT
// The two reference models in the libtorch C++ frontend, shared by torch-bench and torch-step.
#pragma once

#include <torch/torch.h>

#include <algorithm>

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

// ganpp-pix2pix's U-Net (ganpp::UnetGenerator(1, 1), 32 filters, 5 levels, BatchNorm, dropout on the two levels
// just outside the innermost), built innermost first as ganpp builds it; each level returns cat(x, block(x)).
struct UnetLevelImpl : Module {
  Sequential block{nullptr};
  explicit UnetLevelImpl(Sequential b) { block = register_module("block", b); }
  torch::Tensor forward(torch::Tensor x) { return torch::cat({x, block->forward(x)}, 1); }
};
TORCH_MODULE(UnetLevel);

inline Sequential unet_generator(int64_t ngf, int64_t num_downs = 5, int64_t dropout_levels = 2) {
  auto filters = [&](int64_t level) { return ngf * (int64_t{1} << std::min<int64_t>(level, 3)); };
  auto leaky = [] { return LeakyReLU(LeakyReLUOptions().negative_slope(0.2)); };
  UnetLevel inner{nullptr};
  for (int64_t level = num_downs - 1; level >= 1; --level) {
    const int64_t outer_c = filters(level - 1), inner_c = filters(level);
    const bool innermost = level == num_downs - 1;
    Sequential block(leaky(), down(outer_c, inner_c, 4, 2, 1));
    if (!innermost) {
      block->push_back(BatchNorm2d(inner_c));
      block->push_back(inner);
    }
    block->push_back(ReLU());
    block->push_back(up(innermost ? inner_c : 2 * inner_c, outer_c, 4, 2, 1));
    block->push_back(BatchNorm2d(outer_c));
    if (!innermost && level >= num_downs - 1 - dropout_levels) block->push_back(Dropout(0.5));
    inner = UnetLevel(block);
  }
  return Sequential(down(1, ngf, 4, 2, 1), inner, ReLU(), ConvTranspose2d(ConvTranspose2dOptions(2 * ngf, 1, 4).stride(2).padding(1)), Tanh());
}

// ganpp::PatchDiscriminator(in).with_base_channels(c).with_layers(2): 32x32 -> 6x6 logits. BatchNorm (pix2pix) or
// InstanceNorm without affine parameters (CycleGAN; the convolutions then keep their biases).
inline Sequential patch_discriminator(int64_t in, int64_t c, bool instance_norm) {
  auto leaky = [] { return LeakyReLU(LeakyReLUOptions().negative_slope(0.2)); };
  auto conv = [&](int64_t i, int64_t o, int64_t s, bool bias) { return Conv2d(Conv2dOptions(i, o, 4).stride(s).padding(1).bias(bias)); };
  Sequential net(conv(in, c, 2, true), leaky());
  int64_t channels = c;
  for (int64_t n = 1; n <= 2; ++n) {
    const int64_t out = c * (int64_t{1} << n);
    net->push_back(conv(channels, out, n < 2 ? 2 : 1, instance_norm));
    if (instance_norm) net->push_back(InstanceNorm2d(out));
    else net->push_back(BatchNorm2d(out));
    net->push_back(leaky());
    channels = out;
  }
  net->push_back(conv(channels, 1, 1, true));
  return net;
}

// ganpp-cyclegan's generator (ganpp::ResnetGenerator(1, 1), 32 filters, 6 blocks): reflection padding,
// InstanceNorm without affine parameters, convolutions with biases.
struct ResBlockImpl : Module {
  Sequential body{nullptr};
  explicit ResBlockImpl(int64_t c) {
    auto conv = [&] { return Conv2d(Conv2dOptions(c, c, 3)); };
    body = register_module("body", Sequential(ReflectionPad2d(1), conv(), InstanceNorm2d(c), ReLU(), ReflectionPad2d(1), conv(), InstanceNorm2d(c)));
  }
  torch::Tensor forward(torch::Tensor x) { return x + body->forward(x); }
};
TORCH_MODULE(ResBlock);

inline Sequential resnet_generator(int64_t ngf, int64_t blocks) {
  Sequential net(ReflectionPad2d(3), Conv2d(Conv2dOptions(1, ngf, 7)), InstanceNorm2d(ngf), ReLU());
  int64_t c = ngf;
  for (int i = 0; i < 2; ++i, c *= 2) {
    net->push_back(Conv2d(Conv2dOptions(c, 2 * c, 3).stride(2).padding(1)));
    net->push_back(InstanceNorm2d(2 * c));
    net->push_back(ReLU());
  }
  for (int64_t b = 0; b < blocks; ++b) net->push_back(ResBlock(c));
  for (int i = 0; i < 2; ++i, c /= 2) {
    net->push_back(ConvTranspose2d(ConvTranspose2dOptions(c, c / 2, 3).stride(2).padding(1).output_padding(1)));
    net->push_back(InstanceNorm2d(c / 2));
    net->push_back(ReLU());
  }
  net->push_back(ReflectionPad2d(3));
  net->push_back(Conv2d(Conv2dOptions(c, 1, 7)));
  net->push_back(Tanh());
  return net;
}

}  // namespace torch_models
