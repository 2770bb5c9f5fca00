// SPDX-License-Identifier: MIT
// Image-to-image translation: the U-Net and ResNet generators (shapes, gradients), Discriminator over a logit map,
// ImagePool, Pix2PixTrainer and CycleGanTrainer learning colour inversion of 8x8 images (paired and unpaired),
// exact resume of both, and their refusals.
#include "support.hpp"

#include <ganpp/models/patch_discriminator.hpp>
#include <ganpp/models/translation_generators.hpp>
#include <ganpp/translation.hpp>

#include <algorithm>
#include <cmath>

using namespace ganpp;

namespace {

// Smooth random 1x8x8 images in [-1, 1]: a random mix of a few bumps, squashed by tanh.
void smooth_images(Rng& rng, Index n, Tensor<float>& out, float lo = -1, float hi = 1) {
  out.resize(Shape{n, 1, 8, 8});
  for (Index i = 0; i < n; ++i) {
    const double cx = rng.uniform(0, 8), cy = rng.uniform(0, 8), s = rng.uniform(1.5, 4), amp = rng.uniform(-2, 2), base = rng.uniform(-1, 1);
    for (Index y = 0; y < 8; ++y)
      for (Index x = 0; x < 8; ++x) {
        const double v = std::tanh(base + amp * std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s)));
        out[i * 64 + y * 8 + x] = static_cast<float>(lo + (hi - lo) * (v + 1) / 2);
      }
  }
}

double mean_abs_diff(const Tensor<float>& a, const Tensor<float>& b) {
  double s = 0;
  for (Index i = 0; i < a.size(); ++i) s += std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
  return s / static_cast<double>(a.size());
}

Tensor<float> negated(const Tensor<float>& x) {
  Tensor<float> y(x.shape());
  y.array() = -x.array();
  return y;
}

ImageGenerator<float> tiny_unet(std::uint64_t seed) {
  ImageGenerator<float> g(
      UnetGenerator(1, 1).with_base_channels(8).with_downs(3).with_dropout_levels(1).with_dropout(DropoutMode::always, seed).build<float>(),
      Shape{1, 8, 8});
  g.reset_parameters(Init::dcgan, seed);
  return g;
}
ImageGenerator<float> tiny_resnet(std::uint64_t seed) {
  ImageGenerator<float> g(ResnetGenerator(1, 1).with_base_channels(8).with_blocks(1).build<float>(), Shape{1, 8, 8});
  g.reset_parameters(Init::dcgan, seed);
  return g;
}
// The cycle test's generators: a U-Net with InstanceNorm and no dropout. (ResnetGenerator at 8x8 squeezes the image
// through 2x2 and needs far more steps to reconstruct it.)
ImageGenerator<float> tiny_unet_instance(std::uint64_t seed) {
  ImageGenerator<float> g(
      UnetGenerator(1, 1).with_base_channels(8).with_downs(3).with_dropout_levels(0).with_norm(GeneratorNorm::instance).build<float>(),
      Shape{1, 8, 8});
  g.reset_parameters(Init::dcgan, seed);
  return g;
}
Discriminator<float> tiny_patch_d(Index channels, std::uint64_t seed) {
  Discriminator<float> d(PatchDiscriminator(channels).with_base_channels(8).with_layers(1).with_norm(PatchNorm::instance).build<float>(),
                         Shape{channels, 8, 8}, 0, LogitShape::map);
  d.reset_parameters(Init::dcgan, seed);
  return d;
}
AdamOptions adam() { return {2e-3, 0.5, 0.999}; }

// The names of every leaf layer, depth first.
void leaf_names(const Layer<float>& l, std::vector<std::string>& out) {
  if (const auto* c = dynamic_cast<const Container<float>*>(&l)) {
    for (std::size_t i = 0; i < c->num_children(); ++i) leaf_names(c->child(i), out);
  } else {
    out.push_back(l.name());
  }
}

// An identity layer that counts its forward passes, to see how often a trainer runs a network.
class CountForwards : public Layer<float> {
 public:
  explicit CountForwards(int* count) : count_(count) {}
  std::string name() const override { return "CountForwards"; }
  Shape output_shape(const Shape& in) const override { return in; }
  const Tensor<float>& forward(const Tensor<float>& x) override {
    ++*count_;
    out_.assign(x);
    return out_;
  }
  const Tensor<float>& backward(const Tensor<float>& dy) override {
    grad_.assign(dy);
    return grad_;
  }

 private:
  int* count_;
  Tensor<float> out_, grad_;
};

}  // namespace

TEST_CASE("UnetGenerator: pix2pix's levels, skips and dropout, sized by num_downs", "[model][translation]") {
  Sequential<float> net = UnetGenerator(3, 2).with_base_channels(4).build<float>();  // 5 levels: 32x32 -> 1x1
  CHECK(net.output_shape(Shape{2, 3, 32, 32}) == Shape{2, 2, 32, 32});
  REQUIRE(net.size() == 5);  // Conv, SkipConcat(...), ReLU, ConvTranspose, Tanh
  CHECK(net[0].name() == "Conv2d(3 -> 4, k4 s2 p1)");
  CHECK(net[0].parameters().size() == 1);  // no bias before BatchNorm levels, as the authors' code
  CHECK(net[3].name() == "ConvTranspose2d(8 -> 2, k4 s2 p1)");
  CHECK(net[4].name() == "Tanh");
  // Dropout on the two levels just outside the innermost, on in eval mode; 5 down- and 5 up-convolutions.
  std::vector<std::string> leaves;
  leaf_names(net, leaves);
  CHECK(std::count(leaves.begin(), leaves.end(), "Dropout(0.500000, always)") == 2);
  CHECK(std::count_if(leaves.begin(), leaves.end(), [](const std::string& n) { return n.rfind("Conv2d(", 0) == 0; }) == 5);
  CHECK(std::count_if(leaves.begin(), leaves.end(), [](const std::string& n) { return n.rfind("ConvTranspose2d(", 0) == 0; }) == 5);
  CHECK(std::find(leaves.begin(), leaves.end(), "Conv2d(32 -> 32, k4 s2 p1)") != leaves.end());  // filters stop at 8 base
  net.eval();
  Tensor<float> x = test::random_tensor<float>(Shape{2, 3, 32, 32}, 1);
  Rng rng(2);
  net.reset_parameters(Init::dcgan, rng);
  const Tensor<float> y1 = net.forward(x);
  const Tensor<float> y2 = net.forward(x);
  CHECK(mean_abs_diff(y1, y2) > 0);  // dropout stays on in eval mode
  CHECK_THROWS_AS(UnetGenerator(1, 1).with_downs(1).build<float>(), argument_error);
  CHECK_THROWS_AS(UnetGenerator(1, 1).with_downs(3).with_dropout_levels(2).build<float>(), argument_error);
  CHECK_THROWS_AS(net.output_shape(Shape{1, 3, 24, 24}), shape_error);  // 24 is not divisible by 2^5
}

TEST_CASE("UnetGenerator and ResnetGenerator: gradients match central differences in double", "[model][translation][gradcheck]") {
  SECTION("U-Net, BatchNorm") {
    Sequential<double> g = UnetGenerator(2, 1).with_base_channels(2).with_downs(2).with_dropout_levels(0).build<double>();
    test::require_gradients_match(g, Shape{2, 2, 4, 4}, 1e-5);
  }
  SECTION("U-Net, InstanceNorm") {
    Sequential<double> g =
        UnetGenerator(1, 1).with_base_channels(2).with_downs(3).with_dropout_levels(0).with_norm(GeneratorNorm::instance).build<double>();
    test::require_gradients_match(g, Shape{2, 1, 8, 8}, 1e-5);
  }
  SECTION("ResNet, InstanceNorm and reflection padding") {
    Sequential<double> g = ResnetGenerator(1, 2).with_base_channels(2).with_blocks(1).build<double>();
    CHECK(g.output_shape(Shape{2, 1, 8, 8}) == Shape{2, 2, 8, 8});
    test::require_gradients_match(g, Shape{1, 1, 8, 8}, 1e-5);
  }
}

TEST_CASE("ResnetGenerator: CycleGAN's c7s1, two downsamplings, residual blocks, two upsamplings", "[model][translation]") {
  Sequential<float> net = ResnetGenerator(3, 3).with_base_channels(4).with_blocks(3).build<float>();
  CHECK(net.output_shape(Shape{2, 3, 32, 32}) == Shape{2, 3, 32, 32});
  // pad, conv, norm, relu; 2 x (conv, norm, relu); 3 residual blocks; 2 x (convT, norm, relu); pad, conv, tanh.
  REQUIRE(net.size() == 4 + 6 + 3 + 6 + 3);
  CHECK(net[0].name() == "ReflectionPad2d(3)");
  CHECK(net[1].name() == "Conv2d(3 -> 4, k7 s1 p0)");
  CHECK(net[2].name() == "InstanceNorm2d(4)");
  CHECK(net[7].name() == "Conv2d(8 -> 16, k3 s2 p1)");
  CHECK(net[10].name().rfind("Residual(", 0) == 0);
  CHECK(net[13].name() == "ConvTranspose2d(16 -> 8, k3 s2 p1 op1)");
  CHECK(net[21].name() == "Tanh");
  Tensor<float> x = test::random_tensor<float>(Shape{2, 3, 32, 32}, 3);
  Rng rng(4);
  net.reset_parameters(Init::dcgan, rng);
  const Tensor<float>& y = net.forward(x);
  REQUIRE(y.shape() == x.shape());
  CHECK(y.all_finite());
  CHECK(y.array().abs().maxCoeff() <= 1.0f);
  Tensor<float> dy = test::random_tensor<float>(y.shape(), 5);
  CHECK(net.backward(dy).shape() == x.shape());
  CHECK_THROWS_AS(ResnetGenerator(1, 1).with_blocks(-1).build<float>(), argument_error);
}

TEST_CASE("Discriminator accepts a logit map when asked for one, and names the shape otherwise", "[model][translation]") {
  auto patch = [] { return PatchDiscriminator(2).with_base_channels(4).with_layers(1).build<float>(); };
  CHECK_THROWS_WITH(Discriminator<float>(patch(), Shape{2, 8, 8}),
                    Catch::Contains("one logit per sample") && Catch::Contains("(1, 2, 2)") && Catch::Contains("LogitShape::map"));
  Discriminator<float> d(patch(), Shape{2, 8, 8}, 0, LogitShape::map);
  CHECK(d.output_shape() == Shape{1, 2, 2});
  CHECK(d.logit_shape() == LogitShape::map);
  Sequential<float> two_channels;
  two_channels.emplace<Conv2d<float>>(ConvOptions(2, 2, 3));
  CHECK_THROWS_WITH(Discriminator<float>(std::move(two_channels), Shape{2, 8, 8}, 0, LogitShape::map), Catch::Contains("(1, H', W')"));
}

TEST_CASE("ImagePool: fills, then swaps half the time, and saves its images", "[translation]") {
  ImagePool<float> pool(4);
  Rng rng(1);
  Tensor<float> batch(Shape{3, 1, 2, 2}), out;
  for (Index i = 0; i < batch.size(); ++i) batch[i] = static_cast<float>(i);
  pool.query(batch, rng, out);
  CHECK(pool.stored() == 3);
  CHECK(mean_abs_diff(out, batch) == 0);  // not full yet: the images themselves
  int swapped = 0;
  for (int round = 0; round < 50; ++round) {
    batch.array() += 100.0f;
    pool.query(batch, rng, out);
    for (Index i = 0; i < 3; ++i) swapped += out[i * 4] != batch[i * 4];
  }
  CHECK(pool.stored() == 4);
  CHECK(swapped > 50);  // about half of 149 queries once full
  CHECK(swapped < 100);
  Checkpoint c;
  pool.save(c, "pool");
  ImagePool<float> back(4);
  back.load(c, "pool", 4);
  Tensor<float> a, b;
  Rng r1(9), r2(9);
  pool.query(batch, r1, a);
  back.query(batch, r2, b);
  CHECK(mean_abs_diff(a, b) == 0);
  ImagePool<float> smaller(2);
  CHECK_THROWS_WITH(smaller.load(c, "pool", 4), Catch::Contains("pool.count") && Catch::Contains("above"));
  ImagePool<float> none(0);
  none.query(batch, rng, out);
  CHECK(mean_abs_diff(out, batch) == 0);
}

TEST_CASE("Pix2PixTrainer learns colour inversion of 8x8 images in seconds", "[translation][trainer]") {
  ImageGenerator<float> g = tiny_unet(1);
  Discriminator<float> d = tiny_patch_d(2, 2);
  Adam<float> g_opt(g.parameters(), adam()), d_opt(d.parameters(), adam());
  Pix2PixTrainer<float> trainer(g, d, g_opt, d_opt);
  Rng data(3);
  Tensor<float> x, test_x;
  smooth_images(data, 64, test_x);
  const Tensor<float> test_y = negated(test_x);
  g.eval();
  const double before = mean_abs_diff(g.forward(test_x), test_y);
  TranslationStats s;
  for (int i = 0; i < 150; ++i) {
    smooth_images(data, 16, x);
    s = trainer.step(x, negated(x));
  }
  g.eval();
  const double after = mean_abs_diff(g.forward(test_x), test_y);
  const double identity = mean_abs_diff(test_x, test_y);
  INFO("L1 to the inverted images: identity " << identity << ", before " << before << ", after " << after << "; last d_loss " << s.d_loss << " g_adv "
                                              << s.g_adversarial);
  CHECK(after < 0.25 * identity);
  CHECK(after < 0.5 * before);
  CHECK(s.d_loss > 0);
  CHECK(s.g_adversarial > 0);
  CHECK(s.g_loss == s.g_adversarial + s.reconstruction);
}

TEST_CASE("Pix2PixTrainer without a discriminator trains on L1 alone", "[translation][trainer]") {
  ImageGenerator<float> g = tiny_unet(1);
  Adam<float> g_opt(g.parameters(), adam());
  Pix2PixTrainer<float> trainer(g, g_opt);
  Rng data(3);
  Tensor<float> x;
  TranslationStats first, last;
  for (int i = 0; i < 60; ++i) {
    smooth_images(data, 16, x);
    last = trainer.step(x, negated(x));
    if (i == 0) first = last;
  }
  CHECK(last.d_loss == 0);
  CHECK(last.g_adversarial == 0);
  CHECK(last.reconstruction < 0.5 * first.reconstruction);
}

TEST_CASE("CycleGanTrainer learns an unpaired mapping between dark and inverted (bright) 8x8 images", "[translation][trainer]") {
  // A: smooth images in [-1, 0]; B: other smooth images, inverted into [0, 1]. Never paired.
  ImageGenerator<float> g_ab = tiny_unet_instance(1), g_ba = tiny_unet_instance(2);
  Discriminator<float> d_a = tiny_patch_d(1, 3), d_b = tiny_patch_d(1, 4);
  Adam<float> o1(g_ab.parameters(), adam()), o2(g_ba.parameters(), adam()), o3(d_a.parameters(), adam()), o4(d_b.parameters(), adam());
  CycleGanOptions opt;
  opt.pool_size = 16;
  CycleGanTrainer<float> trainer(g_ab, g_ba, d_a, d_b, o1, o2, o3, o4, opt);
  Rng da(5), db(6);
  Tensor<float> a, b, test_a;
  smooth_images(da, 64, test_a, -1, 0);
  TranslationStats first, s;
  for (int i = 0; i < 250; ++i) {
    smooth_images(da, 8, a, -1, 0);
    smooth_images(db, 8, b, -1, 0);
    b.array() = -b.array();
    s = trainer.step(a, b);
    if (i == 0) first = s;
  }
  g_ab.eval();
  g_ba.eval();
  const Tensor<float> to_b = g_ab.forward(test_a);
  const double mean_b = to_b.array().mean();
  double bright = 0;
  for (float v : to_b) bright += v > 0;
  bright /= static_cast<double>(to_b.size());
  const double cycle = mean_abs_diff(g_ba.forward(to_b), test_a);
  const double inversion = mean_abs_diff(to_b, negated(test_a));
  INFO("G_AB(a): mean " << mean_b << ", share > 0 " << bright << "; cycle L1 " << cycle << "; L1 to -a " << inversion << " (identity "
                        << mean_abs_diff(test_a, negated(test_a)) << "); cycle term " << first.reconstruction << " -> " << s.reconstruction);
  CHECK(bright > 0.9);  // the outputs are B-like (A images are all <= 0)
  CHECK(cycle < 0.1);   // and G_BA brings them back
  CHECK(s.reconstruction < 0.3 * first.reconstruction);
  CHECK(trainer.pool_a().stored() == 16);
}

namespace {

template <typename T>
void require_same_parameters(std::vector<Parameter<T>> a, std::vector<Parameter<T>> b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    for (Index k = 0; k < a[i].value->size(); ++k) REQUIRE((*a[i].value)[k] == (*b[i].value)[k]);
}

struct Pix2PixRun {
  ImageGenerator<float> g = tiny_unet(1);
  Discriminator<float> d = tiny_patch_d(2, 2);
  Adam<float> g_opt{g.parameters(), adam()}, d_opt{d.parameters(), adam()};
  Pix2PixTrainer<float> trainer{g, d, g_opt, d_opt};
  void run(int from, int to) {
    for (int i = from; i < to; ++i) {
      Rng data(100 + static_cast<std::uint64_t>(i));
      Tensor<float> x;
      smooth_images(data, 4, x);
      trainer.step(x, negated(x));
    }
  }
};

struct CycleRun {
  ImageGenerator<float> g_ab = tiny_resnet(1), g_ba = tiny_resnet(2);
  Discriminator<float> d_a = tiny_patch_d(1, 3), d_b = tiny_patch_d(1, 4);
  Adam<float> o1{g_ab.parameters(), adam()}, o2{g_ba.parameters(), adam()}, o3{d_a.parameters(), adam()}, o4{d_b.parameters(), adam()};
  CycleGanTrainer<float> trainer{g_ab, g_ba, d_a, d_b, o1, o2, o3, o4, options()};
  static CycleGanOptions options() {
    CycleGanOptions o;
    o.pool_size = 5;  // full after 3 steps of 2: later steps swap
    return o;
  }
  void run(int from, int to) {
    for (int i = from; i < to; ++i) {
      Rng data(200 + static_cast<std::uint64_t>(i));
      Tensor<float> a, b;
      smooth_images(data, 2, a);
      smooth_images(data, 2, b);
      trainer.step(a, b);
    }
  }
};

}  // namespace

TEST_CASE("CycleGanTrainer runs each generator forward three times a step, twice without the identity term", "[translation][trainer]") {
  // As PyTorch's autograd does. An earlier step ran G_BA a fourth time on b before its backward, because G_BA had
  // run on other images since making fake_a: a wasted forward, and with dropout a mask other than fake_a's.
  for (const double identity : {0.5, 0.0}) {
    int runs_ab = 0, runs_ba = 0;
    auto counted = [](int* count, std::uint64_t seed) {
      Sequential<float> net =
          UnetGenerator(1, 1).with_base_channels(4).with_downs(2).with_dropout_levels(0).with_norm(GeneratorNorm::instance).build<float>();
      net.emplace<CountForwards>(count);
      ImageGenerator<float> g(std::move(net), Shape{1, 8, 8});
      g.reset_parameters(Init::dcgan, seed);
      return g;
    };
    ImageGenerator<float> g_ab = counted(&runs_ab, 1), g_ba = counted(&runs_ba, 2);
    Discriminator<float> d_a = tiny_patch_d(1, 3), d_b = tiny_patch_d(1, 4);
    Adam<float> o1(g_ab.parameters(), adam()), o2(g_ba.parameters(), adam()), o3(d_a.parameters(), adam()), o4(d_b.parameters(), adam());
    CycleGanOptions opt;
    opt.lambda_identity = identity;
    CycleGanTrainer<float> trainer(g_ab, g_ba, d_a, d_b, o1, o2, o3, o4, opt);
    Rng rng(7);
    Tensor<float> a, b;
    smooth_images(rng, 4, a);
    smooth_images(rng, 4, b);
    trainer.step(a, b);
    const int expected = identity > 0 ? 3 : 2;
    CHECK(runs_ab == expected);
    CHECK(runs_ba == expected);
  }
}

TEST_CASE("Pix2PixTrainer resumes bit for bit from a checkpoint file (dropout masks included)", "[translation][trainer][checkpoint]") {
  test::TempDir dir;
  Pix2PixRun whole, first, second;
  whole.run(0, 6);
  first.run(0, 3);
  Checkpoint c;
  first.trainer.save(c);
  c.save(dir.file("p.ckpt"));
  second.trainer.load(Checkpoint::load(dir.file("p.ckpt")));
  CHECK(second.trainer.steps() == 3);
  second.run(3, 6);
  require_same_parameters(whole.g.parameters(), second.g.parameters());
  require_same_parameters(whole.d.parameters(), second.d.parameters());
}

TEST_CASE("CycleGanTrainer resumes bit for bit from a checkpoint file (history pools included)", "[translation][trainer][checkpoint]") {
  test::TempDir dir;
  CycleRun whole, first, second;
  whole.run(0, 6);
  first.run(0, 4);
  Checkpoint c;
  first.trainer.save(c);
  c.save(dir.file("c.ckpt"));
  second.trainer.load(Checkpoint::load(dir.file("c.ckpt")));
  CHECK(second.trainer.pool_b().stored() == 5);
  second.run(4, 6);
  require_same_parameters(whole.g_ab.parameters(), second.g_ab.parameters());
  require_same_parameters(whole.g_ba.parameters(), second.g_ba.parameters());
  require_same_parameters(whole.d_a.parameters(), second.d_a.parameters());
  require_same_parameters(whole.d_b.parameters(), second.d_b.parameters());
}

TEST_CASE("translation trainers refuse bad shapes, wrong optimizers and the other model's checkpoint", "[translation][trainer]") {
  Pix2PixRun p;
  CycleRun cy;
  Tensor<float> x = test::random_tensor<float>(Shape{2, 1, 8, 8}, 1);
  Tensor<float> wrong_size = test::random_tensor<float>(Shape{2, 1, 16, 16}, 1);
  Tensor<float> wrong_channels = test::random_tensor<float>(Shape{2, 3, 8, 8}, 1);
  Tensor<float> other_batch = test::random_tensor<float>(Shape{3, 1, 8, 8}, 1);
  CHECK_THROWS_WITH(p.trainer.step(wrong_size, wrong_size), Catch::Contains("Pix2PixTrainer::step()") && Catch::Contains("(2, 1, 16, 16)"));
  CHECK_THROWS_WITH(p.trainer.step(wrong_channels, x), Catch::Contains("(2, 3, 8, 8)"));
  CHECK_THROWS_AS(p.trainer.step(x, other_batch), shape_error);
  CHECK_THROWS_WITH(cy.trainer.step(x, wrong_channels), Catch::Contains("CycleGanTrainer::step()") && Catch::Contains("(2, 3, 8, 8)"));
  CHECK(p.trainer.steps() == 0);
  CHECK(cy.trainer.steps() == 0);

  // A discriminator that sees the output alone is not pix2pix's.
  Discriminator<float> d1 = tiny_patch_d(1, 1);
  Adam<float> d1_opt(d1.parameters(), adam());
  CHECK_THROWS_WITH(Pix2PixTrainer<float>(p.g, d1, p.g_opt, d1_opt),
                    Catch::Contains("concatenated along the channels") && Catch::Contains("(1, 8, 8)"));
  CHECK_THROWS_WITH(Pix2PixTrainer<float>(p.g, p.d, p.d_opt, p.g_opt), Catch::Contains("generator optimizer holds parameter"));
  CHECK_THROWS_WITH(CycleGanTrainer<float>(cy.g_ab, cy.g_ba, cy.d_a, cy.d_b, cy.o2, cy.o1, cy.o3, cy.o4),
                    Catch::Contains("generator A->B optimizer"));
  CHECK_THROWS_WITH(CycleGanTrainer<float>(cy.g_ab, cy.g_ba, cy.d_a, p.d, cy.o1, cy.o2, cy.o3, p.d_opt), Catch::Contains("shapes do not chain"));
  Pix2PixOptions bad;
  bad.lambda_l1 = -1;
  CHECK_THROWS_AS(Pix2PixTrainer<float>(p.g, p.d, p.g_opt, p.d_opt, bad), argument_error);

  Checkpoint pc, cc;
  p.trainer.save(pc);
  cy.trainer.save(cc);
  CHECK_THROWS_WITH(p.trainer.load(cc), Catch::Contains("Pix2PixTrainer::load()") && Catch::Contains("'cyclegan'"));
  CHECK_THROWS_WITH(cy.trainer.load(pc), Catch::Contains("CycleGanTrainer::load()") && Catch::Contains("'pix2pix'"));
  Pix2PixTrainer<float> l1_only(p.g, p.g_opt);
  CHECK_THROWS_WITH(l1_only.load(pc), Catch::Contains("'pix2pix-l1'"));
}
