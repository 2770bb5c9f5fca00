// SPDX-License-Identifier: MIT
// StyleGAN parts: gradient checks in double of every part, the learning-rate multiplier, the sampling controls.
#include "support.hpp"

#include <ganpp/models/stylegan.hpp>
#include <ganpp/stylegan_trainer.hpp>

using namespace ganpp;
using test::random_tensor;

namespace {

// One tensor to probe by central differences, with the analytic gradient backward() gave for it.
struct Probe {
  std::string name;
  Tensor<double>* value;
  Tensor<double> analytic;
};

// The worst relative error over every entry of every probe, for L = sum(forward() * r).
template <typename Loss>
double worst_error(std::vector<Probe>& probes, Loss loss, std::string& where) {
  double worst = 0;
  for (auto& p : probes)
    for (Index i = 0; i < p.value->size(); ++i) {
      const double e = test::rel_error(p.analytic[i], test::numeric_derivative(*p.value, i, loss));
      if (e > worst) {
        worst = e;
        where = p.name + "[" + std::to_string(i) + "]";
      }
    }
  return worst;
}

double dot(const Tensor<double>& a, const Tensor<double>& r) { return (a.array() * r.array()).sum(); }

// Random values for every parameter (the affine biases around 1, as they start), so no gradient hides behind 0 or 1.
void randomize(std::vector<Parameter<double>> params, std::uint64_t seed) {
  Rng rng(seed);
  for (auto& p : params) {
    rng.fill_normal(*p.value, 0.0, 0.5);
    if (p.name.find("affine.bias") != std::string::npos) p.value->array() += 1.0;
  }
}

// Gradient check of a two-input layer (ModulatedConv2d or StyleConv): x, w and every parameter.
template <typename L, typename Fwd>
void require_two_input_gradients(L& layer, Tensor<double>& x, Tensor<double>& w, Fwd fwd) {
  randomize(layer.parameters(), 3);
  const Tensor<double> r = random_tensor<double>(fwd().shape(), 5);
  layer.zero_grad();
  fwd();
  std::vector<Probe> probes;
  probes.push_back({"x", &x, {}});
  probes.back().analytic.assign(layer.backward(r));
  probes.push_back({"w", &w, {}});
  probes.back().analytic.assign(layer.grad_w());
  for (auto& p : layer.parameters()) {
    probes.push_back({p.name, p.value, {}});
    probes.back().analytic.assign(*p.grad);
  }
  std::string where;
  const double err = worst_error(probes, [&] { return dot(fwd(), r); }, where);
  INFO(layer.name() << ": worst entry " << where << ", error " << err);
  REQUIRE(err < 1e-6);
}

StyleGanConfig tiny_config() {
  StyleGanConfig c;
  c.z_dim = 5;
  c.w_dim = 4;
  c.mapping_layers = 2;
  c.channels = {3, 2, 2};
  return c;
}

}  // namespace

TEST_CASE("stylegan: equalized layers and pixel norm pass the gradient check", "[stylegan]") {
  EqualizedLinear<double> lin(5, 4, 0.01, 1.0);
  test::require_gradients_match(lin, Shape{3, 5});
  EqualizedConv2d<double> conv(ConvOptions(2, 3, 3).with_padding(1).with_stride(2));
  test::require_gradients_match(conv, Shape{2, 2, 5, 5});
  PixelNorm<double> norm;
  test::require_gradients_match(norm, Shape{3, 6});
}

TEST_CASE("stylegan: equalized layers scale unit-variance weights at run time", "[stylegan]") {
  EqualizedLinear<double> lin(400, 1);
  REQUIRE(lin.weight().array().square().mean() == Approx(1.0).epsilon(0.2));  // stored at unit variance
  Tensor<double> x(Shape{1, 400}, 1.0);
  const double expected = lin.weight().array().sum() / std::sqrt(400.0) + lin.bias()[0];
  REQUIRE(lin.forward(x)[0] == Approx(expected));
}

TEST_CASE("stylegan: the mapping network passes the gradient check", "[stylegan]") {
  Sequential<double> mapping = make_mapping_network<double>(tiny_config());
  test::require_gradients_match(mapping, Shape{3, 5});
}

TEST_CASE("stylegan: modulated convolution passes the gradient check with and without demodulation", "[stylegan]") {
  for (bool demod : {true, false}) {
    ModulatedConv2d<double> layer(3, 2, 3, 4, demod);
    Tensor<double> x = random_tensor<double>(Shape{2, 3, 4, 5}, 1), w = random_tensor<double>(Shape{2, 4}, 2);
    require_two_input_gradients(layer, x, w, [&]() -> const Tensor<double>& { return layer.forward(x, w); });
  }
}

TEST_CASE("stylegan: demodulation gives each output channel unit-norm effective weights", "[stylegan]") {
  // With x a unit impulse, conv(x * s, W) d c reads the effective weight of each (o, i) at the centre; for a 1x1
  // kernel and one-hot inputs the outputs over i are the effective weights, whose squares must sum to 1 per o.
  ModulatedConv2d<double> layer(3, 2, 1, 4, true, 1e-12);
  randomize(layer.parameters(), 9);
  Tensor<double> w = random_tensor<double>(Shape{3, 4}, 4);
  Tensor<double> x(Shape{3, 3, 1, 1});
  for (Index b = 0; b < 3; ++b) x[b * 3 + b] = 1.0;  // sample b: one-hot input channel b
  Tensor<double> w_same(Shape{3, 4});
  for (Index b = 0; b < 3; ++b)
    for (Index j = 0; j < 4; ++j) w_same[b * 4 + j] = w[j];  // the same style for every sample
  const Tensor<double>& y = layer.forward(x, w_same);
  for (Index o = 0; o < 2; ++o) {
    double sum = 0;
    for (Index b = 0; b < 3; ++b) sum += y[b * 2 + o] * y[b * 2 + o];
    REQUIRE(sum == Approx(1.0).epsilon(1e-9));
  }
}

TEST_CASE("stylegan: style layers pass the gradient check with upsampling, noise strength and toRGB", "[stylegan]") {
  Rng rng(1);
  StyleConv<double>::Options up{3, 2, 3, 4, 6};
  up.upsample = true;
  StyleConv<double> layer(up);
  Tensor<double> x = random_tensor<double>(Shape{2, 3, 3, 3}, 1), w = random_tensor<double>(Shape{2, 4}, 2);
  require_two_input_gradients(layer, x, w, [&]() -> const Tensor<double>& { return layer.forward(x, w, NoiseMode::fixed, rng); });
  // Random noise, replayed: the same draws for every evaluation.
  const std::string state = rng.state();
  require_two_input_gradients(layer, x, w, [&]() -> const Tensor<double>& {
    rng.set_state(state);
    return layer.forward(x, w, NoiseMode::random, rng);
  });
  StyleConv<double>::Options rgb{3, 1, 1, 4, 3};
  rgb.demodulate = rgb.noise = rgb.activation = false;
  StyleConv<double> to_rgb(rgb);
  Tensor<double> x3 = random_tensor<double>(Shape{2, 3, 3, 3}, 6);
  require_two_input_gradients(to_rgb, x3, w, [&]() -> const Tensor<double>& { return to_rgb.forward(x3, w, NoiseMode::none, rng); });
}

TEST_CASE("stylegan: the synthesis network passes the gradient check for ws and every parameter", "[stylegan]") {
  SynthesisNetwork<double> net(tiny_config(), 1);
  net.set_noise_mode(NoiseMode::fixed);
  auto params = net.parameters();
  randomize(params, 4);
  Tensor<double> ws = random_tensor<double>(Shape{2, net.num_ws(), 4}, 2);
  const Tensor<double> r = random_tensor<double>(net.forward(ws).shape(), 3);
  REQUIRE(r.shape() == Shape{2, 1, 16, 16});
  net.zero_grad();
  net.forward(ws);
  std::vector<Probe> probes{{"ws", &ws, {}}};
  probes.back().analytic.assign(net.backward(r));
  for (auto& p : params) {
    probes.push_back({p.name, p.value, {}});
    probes.back().analytic.assign(*p.grad);
  }
  std::string where;
  const double err = worst_error(probes, [&] { return dot(net.forward(ws), r); }, where);
  INFO("worst entry " << where << ", error " << err);
  REQUIRE(err < 1e-6);
}

TEST_CASE("stylegan: the residual discriminator passes the gradient check", "[stylegan]") {
  Sequential<double> d = make_style_discriminator<double>(tiny_config());
  test::require_gradients_match(d, Shape{3, 1, 16, 16});
}

TEST_CASE("stylegan: the mapping network's learning-rate multiplier reaches the optimizer", "[stylegan]") {
  StyleGenerator<double> g(tiny_config(), 0);
  Adam<double> opt(g.parameters(), {1e-3, 0.0, 0.99});
  std::size_t mapping = 0, synthesis = 0;
  for (std::size_t i = 0; i < opt.parameters().size(); ++i) {
    const bool is_mapping = opt.parameters()[i].name.rfind("mapping.", 0) == 0;
    REQUIRE(opt.learning_rate(i) == Approx(is_mapping ? 1e-5 : 1e-3));
    (is_mapping ? mapping : synthesis) += 1;
  }
  REQUIRE(mapping == 4);  // two EqualizedLinear layers, weight and bias
  REQUIRE(synthesis > 0);
  // One Adam step moves every entry by lr * lr_scale (the first step's update is lr * sign(g)).
  const std::vector<double> before = test::flat(g.parameters());
  for (auto& p : g.parameters()) p.grad->fill(1.0);
  opt.step();
  const std::vector<double> after = test::flat(g.parameters());
  std::size_t k = 0;
  for (auto& p : g.parameters()) {
    const double expected = p.name.rfind("mapping.", 0) == 0 ? 1e-5 : 1e-3;
    for (Index i = 0; i < p.value->size(); ++i, ++k) REQUIRE(before[k] - after[k] == Approx(expected).epsilon(1e-6));
  }
  // SGD and RMSprop honour it too.
  Parameter<double> p = g.parameters()[0];
  Sgd<double> sgd({p}, {0.1});
  REQUIRE(sgd.learning_rate(0) == Approx(0.001));
  p.lr_scale = 0;
  REQUIRE_THROWS_AS(Sgd<double>({p}, {0.1}), argument_error);
}

TEST_CASE("stylegan: truncation at psi 0 gives w_avg's image, at 1 the plain image", "[stylegan]") {
  StyleGenerator<double> g(tiny_config(), 2);
  g.synthesis().set_noise_mode(NoiseMode::fixed);
  Rng rng(3);
  Tensor<double> z = random_tensor<double>(Shape{4, 5}, 1);
  g.update_w_avg(g.map(random_tensor<double>(Shape{64, 5}, 2)), 0.0);  // w_avg = the mean of 64 w's
  Tensor<double> at_zero;
  at_zero.assign(g.generate(z, 0.0));
  Tensor<double> avg_ws;
  Tensor<double> w_avg(Shape{1, 4});
  std::copy(g.w_avg().begin(), g.w_avg().end(), w_avg.begin());
  StyleGenerator<double>::broadcast(w_avg, g.num_ws(), avg_ws);
  const Tensor<double>& avg_image = g.synthesize(avg_ws);
  const Index per = avg_image.size();
  for (Index b = 0; b < 4; ++b)
    for (Index i = 0; i < per; ++i) REQUIRE(at_zero[b * per + i] == Approx(avg_image[i]).margin(1e-12));
  Tensor<double> plain, ws;
  StyleGenerator<double>::broadcast(g.map(z), g.num_ws(), ws);
  plain.assign(g.synthesize(ws));
  const Tensor<double>& at_one = g.generate(z, 1.0);
  REQUIRE((at_one.array() - plain.array()).abs().maxCoeff() == 0.0);
  REQUIRE((at_zero.array() - plain.array()).abs().maxCoeff() > 1e-3);  // truncation did something
}

TEST_CASE("stylegan: style mixing with the crossover at 0 or at the last slot equals a single source", "[stylegan]") {
  StyleGenerator<double> g(tiny_config(), 2);
  g.synthesis().set_noise_mode(NoiseMode::fixed);
  const Index L = g.num_ws();
  Tensor<double> w1, w2, ws, single;
  w1.assign(g.map(random_tensor<double>(Shape{2, 5}, 1)));
  w2.assign(g.map(random_tensor<double>(Shape{2, 5}, 2)));
  auto image = [&](const Tensor<double>& w) {
    StyleGenerator<double>::broadcast(w, L, ws);
    Tensor<double> out;
    out.assign(g.synthesize(ws));
    return out;
  };
  const Tensor<double> only1 = image(w1), only2 = image(w2);
  auto mixed = [&](Index k) {
    StyleGenerator<double>::mix_styles(w1, w2, {k, k}, L, ws);
    Tensor<double> out;
    out.assign(g.synthesize(ws));
    return out;
  };
  REQUIRE((mixed(0).array() - only2.array()).abs().maxCoeff() == 0.0);
  REQUIRE((mixed(L).array() - only1.array()).abs().maxCoeff() == 0.0);
  const Tensor<double> half = mixed(L / 2);
  REQUIRE((half.array() - only1.array()).abs().maxCoeff() > 1e-6);
  REQUIRE((half.array() - only2.array()).abs().maxCoeff() > 1e-6);
  REQUIRE_THROWS_AS(StyleGenerator<double>::mix_styles(w1, w2, {L + 1, 0}, L, ws), argument_error);
}

TEST_CASE("stylegan: interpolation in w runs from one end to the other", "[stylegan]") {
  const Tensor<double> a = random_tensor<double>(Shape{1, 4}, 1), b = random_tensor<double>(Shape{1, 4}, 2);
  Tensor<double> out;
  StyleGenerator<double>::interpolate(a, b, 5, out);
  REQUIRE(out.shape() == Shape{5, 4});
  for (Index j = 0; j < 4; ++j) {
    REQUIRE(out[j] == a[j]);
    REQUIRE(out[16 + j] == Approx(b[j]));
    REQUIRE(out[8 + j] == Approx(0.5 * (a[j] + b[j])));
  }
}

TEST_CASE("stylegan: shape mistakes name the layer and both shapes", "[stylegan]") {
  ModulatedConv2d<float> layer(3, 2, 3, 4);
  Tensor<float> x(Shape{2, 3, 4, 4}), w(Shape{3, 4});
  REQUIRE_THROWS_WITH(layer.forward(x, w), Catch::Contains("ModulatedConv2d(3 -> 2, k3, demod)::forward()") && Catch::Contains("(3, 4)"));
  SynthesisNetwork<float> net(tiny_config());
  REQUIRE_THROWS_WITH(net.forward(Tensor<float>(Shape{2, 5, 4})), Catch::Contains("SynthesisNetwork::forward(): expected ws (N, 6, 4)"));
  StyleGanConfig bad = tiny_config();
  bad.channels = {};
  REQUIRE_THROWS_AS(StyleGenerator<float>(bad), argument_error);
}

namespace {

// A tiny StyleGAN run: generator, discriminator, Adam (0, 0.99), EMA and trainer, all from fixed seeds.
struct TinyRun {
  StyleGenerator<float> g{tiny_config(), 1};
  Discriminator<float> d{make_style_discriminator<float>(tiny_config()), Shape{1, 16, 16}};
  Adam<float> g_opt{g.parameters(), {2e-3, 0.0, 0.99}};
  Adam<float> d_opt{d.parameters(), {2e-3, 0.0, 0.99}};
  ExponentialMovingAverage<float> ema{g.parameters(), 0.99};
  StyleGanTrainer<float> trainer;
  StyleGanState<float> state{g, d, g_opt, d_opt, trainer, &ema};
  TinyRun() : trainer(g, d, g_opt, d_opt, options()) { trainer.set_ema(&ema); }
  static StyleGanTrainerOptions options() {
    StyleGanTrainerOptions o;
    o.r1_interval = 2;  // R1 on every other step, so that a short run covers it
    o.seed = 5;
    return o;
  }
};

Tensor<float> real_batch(std::int64_t step) { return random_tensor<float>(Shape{4, 1, 16, 16}, 100 + static_cast<std::uint64_t>(step), 0.5); }

}  // namespace

TEST_CASE("stylegan: training moves both players, w_avg and the EMA, with R1 on its lazy schedule", "[stylegan]") {
  TinyRun run;
  const std::vector<float> g0 = test::flat(run.g.parameters()), d0 = test::flat(run.d.parameters());
  for (int i = 1; i <= 4; ++i) {
    const StepStats s = run.trainer.step(real_batch(i));
    REQUIRE(std::isfinite(s.d_loss));
    REQUIRE(std::isfinite(s.g_loss));
    REQUIRE((s.penalty > 0) == (i % 2 == 0));
  }
  REQUIRE(test::max_change(g0, test::flat(run.g.parameters())) > 0);
  REQUIRE(test::max_change(d0, test::flat(run.d.parameters())) > 0);
  REQUIRE(run.g.w_avg().array().abs().maxCoeff() > 0);
  REQUIRE(run.ema.updates() == 4);
  REQUIRE_THROWS_AS(run.trainer.step(Tensor<float>(Shape{4, 1, 8, 8})), shape_error);
}

TEST_CASE("stylegan: a run resumed from a checkpoint continues bit for bit", "[stylegan]") {
  test::TempDir dir;
  TinyRun straight;
  for (int i = 1; i <= 3; ++i) straight.trainer.step(real_batch(i));
  Checkpoint c;
  straight.state.save(c);
  c.save(dir.file("run.ckpt"));
  for (int i = 4; i <= 5; ++i) straight.trainer.step(real_batch(i));

  TinyRun resumed;
  resumed.state.load(Checkpoint::load(dir.file("run.ckpt")));
  REQUIRE(resumed.trainer.steps() == 3);
  for (int i = 4; i <= 5; ++i) resumed.trainer.step(real_batch(i));
  REQUIRE(test::flat(resumed.g.parameters()) == test::flat(straight.g.parameters()));
  REQUIRE(test::flat(resumed.d.parameters()) == test::flat(straight.d.parameters()));
  for (std::size_t i = 0; i < straight.ema.shadow().size(); ++i)
    REQUIRE((resumed.ema.shadow()[i].array() == straight.ema.shadow()[i].array()).all());
  REQUIRE((resumed.g.w_avg().array() == straight.g.w_avg().array()).all());

  Checkpoint broken = Checkpoint::load(dir.file("run.ckpt"));
  broken.put_text("ema.updates", "x");
  TinyRun other;
  REQUIRE_THROWS_WITH(other.state.load(broken), Catch::Contains("ema.updates"));
}
