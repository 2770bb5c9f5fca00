// SPDX-License-Identifier: MIT
// The models of ganpp-pix2pix and ganpp-cyclegan on 32x32 Fashion-MNIST (docs/translation.md), shared with
// ganpp-bench, which times their training iterations.
#pragma once

#include <ganpp/ganpp.hpp>
#include <ganpp/models/patch_discriminator.hpp>
#include <ganpp/models/translation_generators.hpp>

#include <cstdint>
#include <memory>

namespace translation_app {

enum class Kind { pix2pix, cyclegan };

/// The networks of one run. pix2pix: g (U-Net, edges -> item) and d (PatchGAN over (edges, item) pairs; none for the
/// L1-only baseline). CycleGAN: g (A -> B), g_back (B -> A), d (on B) and d_back (on A).
struct Models {
  std::unique_ptr<ganpp::ImageGenerator<float>> g, g_back;
  std::unique_ptr<ganpp::Discriminator<float>> d, d_back;
};

/// The sizes that define the models; the rest is fixed by the papers' designs scaled to 32x32.
struct ModelSizes {
  long ngf = 32;           ///< filters of each network's first layer
  long blocks = 6;         ///< CycleGAN: residual blocks of the ResNet generators
  bool l1_only = false;    ///< pix2pix: no discriminator (the L1-only baseline)
  std::uint64_t seed = 0;  ///< seeds the weights and the U-Net's dropout
};

/// pix2pix: a 5-level U-Net with dropout kept on at test time, against a 6x6 PatchGAN (2 stride-2 layers) over the
/// (edges, item) pair. CycleGAN: ResNet generators with InstanceNorm and reflection padding, 6x6 PatchGANs with
/// InstanceNorm. DCGAN initialisation from seeds derived from `s.seed`.
inline Models build_models(Kind kind, const ModelSizes& s) {
  using ganpp::Index;
  using ganpp::Shape;
  Models m;
  const Shape img{1, 32, 32};
  const Index ngf = static_cast<Index>(s.ngf);
  if (kind == Kind::pix2pix) {
    m.g = std::make_unique<ganpp::ImageGenerator<float>>(
        ganpp::UnetGenerator(1, 1).with_base_channels(ngf).with_dropout(ganpp::DropoutMode::always, s.seed + 100).build<float>(), img);
    if (!s.l1_only)
      m.d = std::make_unique<ganpp::Discriminator<float>>(ganpp::PatchDiscriminator(2).with_base_channels(ngf).with_layers(2).build<float>(),
                                                          Shape{2, 32, 32}, 0, ganpp::LogitShape::map);
  } else {
    for (auto* g : {&m.g, &m.g_back})
      *g = std::make_unique<ganpp::ImageGenerator<float>>(
          ganpp::ResnetGenerator(1, 1).with_base_channels(ngf).with_blocks(static_cast<Index>(s.blocks)).build<float>(), img);
    for (auto* d : {&m.d, &m.d_back})
      *d = std::make_unique<ganpp::Discriminator<float>>(
          ganpp::PatchDiscriminator(1).with_base_channels(ngf).with_layers(2).with_norm(ganpp::PatchNorm::instance).build<float>(), img, 0,
          ganpp::LogitShape::map);
  }
  std::uint64_t seed = s.seed * 16 + 1;
  for (auto* g : {m.g.get(), m.g_back.get()})
    if (g) g->reset_parameters(ganpp::Init::dcgan, seed++);
  for (auto* d : {m.d.get(), m.d_back.get()})
    if (d) d->reset_parameters(ganpp::Init::dcgan, seed++);
  return m;
}

}  // namespace translation_app
