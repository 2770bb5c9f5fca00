// SPDX-License-Identifier: MIT
// The MNIST example's three GANs: the reference MLP, the PyTorch C++ frontend's DCGAN, and a conditional DCGAN.
#pragma once

#include <ganpp/ganpp.hpp>

#include <string>

namespace mnist {

using ganpp::ConvOptions;
using ganpp::Index;
using ganpp::Shape;
template <typename S>
using Net = ganpp::Sequential<S>;

constexpr Index kLatent = 100;
constexpr Index kClasses = 10;

/// G: z(100) -> 256 -> 512 -> 1024 -> 784, LeakyReLU 0.2 between, Tanh at the end.
template <typename S>
ganpp::Generator<S> mlp_generator() {
  Net<S> g;
  g.template emplace<ganpp::Linear<S>>(kLatent, 256).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  g.template emplace<ganpp::Linear<S>>(256, 512).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  g.template emplace<ganpp::Linear<S>>(512, 1024).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  g.template emplace<ganpp::Linear<S>>(1024, 784).template emplace<ganpp::Tanh<S>>();
  return ganpp::Generator<S>(std::move(g), Shape{kLatent});
}

/// D: 784 -> 512 -> 256 -> 1 logit, LeakyReLU 0.2 between.
template <typename S>
ganpp::Discriminator<S> mlp_discriminator() {
  Net<S> d;
  d.template emplace<ganpp::Linear<S>>(784, 512).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.template emplace<ganpp::Linear<S>>(512, 256).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.template emplace<ganpp::Linear<S>>(256, 1);
  return ganpp::Discriminator<S>(std::move(d), Shape{784});
}

/// G: (100 [+ label embedding], 1, 1) -> 256x4x4 -> 128x7x7 -> 64x14x14 -> 1x28x28, BatchNorm + ReLU, Tanh.
template <typename S>
ganpp::Generator<S> dcgan_generator(bool conditional = false) {
  auto up = [](Index in, Index out, Index k, Index s, Index p) { return ConvOptions(in, out, k).with_stride(s).with_padding(p).with_bias(false); };
  Net<S> g;
  Index in = kLatent;
  if (conditional) {
    g.template emplace<ganpp::LabelConcat<S>>(kClasses, kClasses);
    in += kClasses;
  }
  g.template emplace<ganpp::ConvTranspose2d<S>>(up(in, 256, 4, 1, 0)).template emplace<ganpp::BatchNorm<S>>(256).template emplace<ganpp::ReLU<S>>();
  g.template emplace<ganpp::ConvTranspose2d<S>>(up(256, 128, 3, 2, 1)).template emplace<ganpp::BatchNorm<S>>(128).template emplace<ganpp::ReLU<S>>();
  g.template emplace<ganpp::ConvTranspose2d<S>>(up(128, 64, 4, 2, 1)).template emplace<ganpp::BatchNorm<S>>(64).template emplace<ganpp::ReLU<S>>();
  g.template emplace<ganpp::ConvTranspose2d<S>>(up(64, 1, 4, 2, 1)).template emplace<ganpp::Tanh<S>>();
  return ganpp::Generator<S>(std::move(g), Shape{kLatent, 1, 1}, conditional ? kClasses : 0);
}

/// D: 1x28x28 [+ label maps] -> 64x14x14 -> 128x7x7 -> 256x3x3 -> 1 logit, LeakyReLU 0.2, BatchNorm after conv 2 and 3.
template <typename S>
ganpp::Discriminator<S> dcgan_discriminator(bool conditional = false) {
  auto down = [](Index in, Index out, Index k, Index s, Index p) { return ConvOptions(in, out, k).with_stride(s).with_padding(p).with_bias(false); };
  Net<S> d;
  Index in = 1;
  if (conditional) {
    d.template emplace<ganpp::LabelConcat<S>>(kClasses, kClasses);
    in += kClasses;
  }
  d.template emplace<ganpp::Conv2d<S>>(down(in, 64, 4, 2, 1)).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.template emplace<ganpp::Conv2d<S>>(down(64, 128, 4, 2, 1)).template emplace<ganpp::BatchNorm<S>>(128).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.template emplace<ganpp::Conv2d<S>>(down(128, 256, 4, 2, 1)).template emplace<ganpp::BatchNorm<S>>(256).template emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.template emplace<ganpp::Conv2d<S>>(down(256, 1, 3, 1, 0));
  return ganpp::Discriminator<S>(std::move(d), Shape{1, 28, 28}, conditional ? kClasses : 0);
}

}  // namespace mnist
