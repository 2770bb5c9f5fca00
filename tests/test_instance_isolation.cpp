// SPDX-License-Identifier: MIT
// Instance isolation: two identical trainings (or layers) stepped alternately in one process agree bit for bit
// with each other and with one run on its own. Nothing is shared between instances, and no result depends on
// where in memory an instance's buffers happen to lie.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

#include <cstdint>
#include <memory>
#include <vector>

using namespace ganpp;

namespace {

// The toy GAN's MLPs, in double.
Generator<double> mlp_g() { return Generator<double>(toy::mlp<double>(4, 32, 1), Shape{4}); }
Discriminator<double> mlp_d() { return Discriminator<double>(toy::mlp<double>(1, 32, 1), Shape{1}); }

// A small DCGAN on 1x8x8 images, with BatchNorm in both players.
Generator<double> conv_g() {
  Sequential<double> g;
  g.emplace<ConvTranspose2d<double>>(ConvOptions(8, 16, 4).with_bias(false)).emplace<BatchNorm<double>>(16).emplace<ReLU<double>>();
  g.emplace<ConvTranspose2d<double>>(ConvOptions(16, 1, 4).with_stride(2).with_padding(1)).emplace<Tanh<double>>();
  return Generator<double>(std::move(g), Shape{8, 1, 1});
}
Discriminator<double> conv_d() {
  Sequential<double> d;
  d.emplace<Conv2d<double>>(ConvOptions(1, 16, 4).with_stride(2).with_padding(1)).emplace<LeakyReLU<double>>(0.2);
  d.emplace<Conv2d<double>>(ConvOptions(16, 32, 4).with_stride(2).with_padding(1).with_bias(false)).emplace<BatchNorm<double>>(32);
  d.emplace<LeakyReLU<double>>(0.2).emplace<Conv2d<double>>(ConvOptions(32, 1, 2));
  return Discriminator<double>(std::move(d), Shape{1, 8, 8});
}

// One training: models, Adam for each, a trainer and its own data stream.
struct Training {
  Generator<double> g;
  Discriminator<double> d;
  Adam<double> g_opt, d_opt;
  GanTrainer<double> trainer;
  Rng data{5};
  Tensor<double> real;

  Training(Generator<double> g_model, Discriminator<double> d_model)
      : g(std::move(g_model)), d(std::move(d_model)), g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999}), trainer(g, d, g_opt, d_opt) {
    g.reset_parameters(Init::torch_default, 1);
    d.reset_parameters(Init::torch_default, 2);
  }
  void step(Index batch) {
    real.resize(d.input_shape().batched(batch));
    data.fill_normal(real, 0.0, 0.5);
    trainer.step(real);
  }
  std::vector<double> weights() {
    std::vector<double> w;
    for (auto* m : {static_cast<Model<double>*>(&g), static_cast<Model<double>*>(&d)})
      for (auto& p : m->parameters()) w.insert(w.end(), p.value->begin(), p.value->end());
    return w;
  }
};

template <typename MakeG, typename MakeD>
void require_alternate_equals_alone(MakeG make_g, MakeD make_d, int steps, Index batch) {
  Training alone(make_g(), make_d());
  for (int i = 0; i < steps; ++i) alone.step(batch);
  // Each on the heap, built after the first, so their buffers lie elsewhere than the first's.
  auto a = std::make_unique<Training>(make_g(), make_d());
  auto b = std::make_unique<Training>(make_g(), make_d());
  for (int i = 0; i < steps; ++i) {
    a->step(batch);
    b->step(batch);
  }
  const std::vector<double> wa = a->weights(), wb = b->weights(), w = alone.weights();
  REQUIRE(wa.size() == w.size());
  double worst_ab = 0, worst_alone = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    worst_ab = std::max(worst_ab, std::abs(wa[i] - wb[i]));
    worst_alone = std::max(worst_alone, std::abs(wa[i] - w[i]));
  }
  INFO("largest difference between the interleaved runs " << worst_ab << ", from the run alone " << worst_alone);
  CHECK(wa == wb);
  CHECK(wa == w);
}

// Everything a layer computes and keeps: the last output and input gradient, parameter gradients and buffers.
std::vector<double> layer_results(Layer<double>& layer, const Tensor<double>& out, const Tensor<double>& dx) {
  std::vector<double> r(out.begin(), out.end());
  r.insert(r.end(), dx.begin(), dx.end());
  for (auto& p : layer.parameters()) r.insert(r.end(), p.grad->begin(), p.grad->end());
  for (auto& b : layer.buffers()) r.insert(r.end(), b.value->begin(), b.value->end());
  return r;
}

// Two layers made alike stepped alternately, forward and backward on three batches each (their own copies of the
// same inputs), against a third one that runs the same sequence alone first; gradients accumulate across batches.
template <typename Make>
void require_layers_alternate_equal_alone(Make make, const Shape& in) {
  std::vector<Tensor<double>> x, dy;
  auto alone = make();
  test::randomize(*alone, 7);
  for (std::uint64_t i = 0; i < 3; ++i) {
    x.push_back(test::random_tensor<double>(in, 100 + i));
    dy.push_back(test::random_tensor<double>(alone->output_shape(in), 200 + i));
  }
  std::vector<std::vector<double>> expected;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const Tensor<double>& out = alone->forward(x[i]);
    expected.push_back(layer_results(*alone, out, alone->backward(dy[i])));
  }
  auto a = make(), b = make();
  test::randomize(*a, 7);
  test::randomize(*b, 7);
  const std::vector<Tensor<double>> xb = x, dyb = dy;  // b reads its own buffers, at other addresses
  for (std::size_t i = 0; i < x.size(); ++i) {
    const Tensor<double>& out_a = a->forward(x[i]);
    const Tensor<double>& out_b = b->forward(xb[i]);
    const Tensor<double>& dx_b = b->backward(dyb[i]);
    const Tensor<double>& dx_a = a->backward(dy[i]);
    INFO(a->name() << ", batch " << i);
    CHECK(layer_results(*a, out_a, dx_a) == expected[i]);
    CHECK(layer_results(*b, out_b, dx_b) == expected[i]);
  }
}

}  // namespace

TEST_CASE("two identical layers stepped alternately compute what one computes alone", "[layers][isolation]") {
  using L = std::unique_ptr<Layer<double>>;
  // 300 x 70 on a batch of 65: large enough for Eigen's blocked kernel.
  require_layers_alternate_equal_alone([] { return L(new Linear<double>(300, 70)); }, Shape{65, 300});
  require_layers_alternate_equal_alone([] { return L(new Conv2d<double>(ConvOptions(3, 8, 3).with_stride(2).with_padding(1))); }, Shape{4, 3, 11, 11});
  require_layers_alternate_equal_alone([] { return L(new ConvTranspose2d<double>(ConvOptions(8, 3, 4).with_stride(2).with_padding(1))); },
                                       Shape{4, 8, 5, 5});
  require_layers_alternate_equal_alone([] { return L(new BatchNorm<double>(5)); }, Shape{6, 5, 4, 4});
  require_layers_alternate_equal_alone([] { return L(new BatchNorm<double>(7)); }, Shape{9, 7});
}

TEST_CASE("two identical MLP GAN trainings stepped alternately stay bit-identical", "[gan][isolation]") {
  require_alternate_equals_alone(mlp_g, mlp_d, 30, 64);
}

TEST_CASE("two identical conv GAN trainings with BatchNorm stepped alternately stay bit-identical", "[gan][isolation]") {
  require_alternate_equals_alone(conv_g, conv_d, 5, 16);
}
