// SPDX-License-Identifier: MIT
// Containers: the walks Container forwards to its children, Residual and SkipConcat forward values, shape errors and
// finite-difference gradients, and a three-level U-Net built from nested SkipConcat blocks.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include "support.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace ganpp;
using test::require_gradients_match;
using test::random_tensor;

namespace {

template <typename S>
std::vector<std::string> names_of(const std::vector<Parameter<S>>& ps) {
  std::vector<std::string> n;
  for (const auto& p : ps) n.push_back(p.name);
  return n;
}

template <typename S, typename... Layers>
std::unique_ptr<Sequential<S>> chain(std::unique_ptr<Layers>... layers) {
  auto s = std::make_unique<Sequential<S>>();
  (s->add(std::move(layers)), ...);
  return s;
}

ConvOptions conv(Index in, Index out, Index k, Index stride = 1, Index padding = 0) {
  return ConvOptions(in, out, k).with_stride(stride).with_padding(padding);
}

// Linear(3 -> 4), Residual(Linear(4 -> 4), BatchNorm(4)), SkipConcat(Linear(4 -> 2)), SpectralNorm(Linear(6 -> 2)).
template <typename S>
Sequential<S> mixed_net() {
  Sequential<S> net;
  net.template emplace<Linear<S>>(3, 4);
  net.add(std::make_unique<Residual<S>>(chain<S>(std::make_unique<Linear<S>>(4, 4), std::make_unique<BatchNorm<S>>(4))));
  net.template emplace<SkipConcat<S>>(std::make_unique<Linear<S>>(4, 2));
  net.add(spectral_norm<S>(std::make_unique<Linear<S>>(6, 2)));
  return net;
}

template <typename S>
Residual<S>& residual_of(Sequential<S>& net) {
  return dynamic_cast<Residual<S>&>(net[1]);
}
template <typename S>
Layer<S>& residual_linear(Sequential<S>& net) {
  return dynamic_cast<Sequential<S>&>(residual_of(net).body())[0];
}

}  // namespace

TEMPLATE_TEST_CASE("Container: parameters and buffers carry their children's names, prefixed once", "[layer][container]", float, double) {
  using S = TestType;
  Sequential<S> net = mixed_net<S>();
  CHECK(names_of(net.parameters()) == std::vector<std::string>{"0.weight", "0.bias", "1.body.0.weight", "1.body.0.bias", "1.body.1.weight",
                                                                "1.body.1.bias", "2.inner.weight", "2.inner.bias", "3.weight_orig", "3.bias"});
  std::vector<std::string> buffers;
  for (const auto& b : net.buffers()) buffers.push_back(b.name);
  CHECK(buffers == std::vector<std::string>{"1.body.1.running_mean", "1.body.1.running_var", "3.weight_u", "3.weight_v"});
  // The names point at the children's own tensors.
  CHECK(net.parameters()[2].value == residual_linear(net).parameters()[0].value);
}

TEMPLATE_TEST_CASE("Container: train/eval, frozen and zero_grad reach every nested layer", "[layer][container]", float, double) {
  using S = TestType;
  Sequential<S> net = mixed_net<S>();
  Layer<S>& deep = residual_linear(net);
  net.eval();
  CHECK_FALSE(deep.is_training());
  CHECK_FALSE(residual_of(net).is_training());
  net.train();
  CHECK(deep.is_training());

  // Frozen: backward still returns the input gradient but leaves every parameter gradient at zero.
  const Tensor<S> x = random_tensor<S>(Shape{5, 3}, 1);
  net.zero_grad();
  net.set_frozen(true);
  CHECK(deep.is_frozen());
  const Tensor<S>& y = net.forward(x);
  Tensor<S> dy(y.shape(), S(1));
  CHECK(net.backward(dy).shape() == x.shape());
  for (const auto& p : net.parameters()) CHECK(p.grad->array().abs().maxCoeff() == S(0));

  // Unfrozen: gradients accumulate, and zero_grad clears every one of them, the wrapper's own included.
  net.set_frozen(false);
  CHECK_FALSE(deep.is_frozen());
  net.forward(x);
  net.backward(dy);
  S total = 0;
  for (const auto& p : net.parameters()) total += p.grad->array().abs().sum();
  CHECK(total > S(0));
  net.zero_grad();
  for (const auto& p : net.parameters()) CHECK(p.grad->array().abs().maxCoeff() == S(0));
}

TEMPLATE_TEST_CASE("Container: the input-gradient flag follows the data path", "[layer][container]", float, double) {
  using S = TestType;
  // A Residual first: its body and projection see the network's input, so they drop their input gradient too.
  Sequential<S> net;
  net.add(std::make_unique<Residual<S>>(std::make_unique<Linear<S>>(3, 2), std::make_unique<Linear<S>>(3, 2, false)));
  net.template emplace<SkipConcat<S>>(std::make_unique<Linear<S>>(2, 2));
  auto& res = dynamic_cast<Residual<S>&>(net[0]);
  auto& skip = dynamic_cast<SkipConcat<S>&>(net[1]);
  net.set_input_grad(false);
  CHECK_FALSE(res.needs_input_grad());
  CHECK_FALSE(res.body().needs_input_grad());
  CHECK_FALSE(res.proj()->needs_input_grad());
  CHECK(skip.needs_input_grad());  // not the first layer: its input gradient feeds the Residual's backward
  CHECK(skip.inner().needs_input_grad());

  const Tensor<S> x = random_tensor<S>(Shape{4, 3}, 2);
  const Tensor<S>& y = net.forward(x);
  CHECK(net.backward(Tensor<S>(y.shape(), S(1))).empty());
  // The parameter gradients are still there, the projection's included.
  CHECK(res.proj()->parameters()[0].grad->array().abs().sum() > S(0));

  net.set_input_grad(true);
  CHECK(res.body().needs_input_grad());
  CHECK(res.proj()->needs_input_grad());
  net.forward(x);
  CHECK(net.backward(Tensor<S>(y.shape(), S(1))).shape() == x.shape());
}

TEMPLATE_TEST_CASE("Container: a child added later gets the container's current modes", "[layer][container]", float, double) {
  using S = TestType;
  Sequential<S> net;
  net.eval();
  net.set_frozen(true);
  net.set_input_grad(false);
  net.template emplace<Residual<S>>(std::make_unique<Linear<S>>(2, 2));
  net.template emplace<Linear<S>>(2, 2);
  auto& res = dynamic_cast<Residual<S>&>(net[0]);
  CHECK_FALSE(res.body().is_training());
  CHECK(res.body().is_frozen());
  CHECK_FALSE(res.body().needs_input_grad());
  CHECK(net[1].needs_input_grad());
}

TEMPLATE_TEST_CASE("Container: random state keeps Sequential's format and round-trips through nested containers", "[layer][container]", float, double) {
  using S = TestType;
  // A flat Sequential keeps today's format: one line per layer, empty for layers without random state.
  Sequential<S> flat;
  flat.template emplace<Linear<S>>(4, 4);
  flat.template emplace<Dropout<S>>(0.5, 3);
  CHECK(flat.rng_state() == "\n" + flat[1].rng_state() + "\n");

  // Nested: a Dropout inside a Sequential inside a Residual inside a Sequential. The inner containers' states hold
  // line breaks of their own; restoring must give the same masks again.
  Sequential<S> net;
  net.template emplace<Linear<S>>(4, 4);
  net.template emplace<Residual<S>>(chain<S>(std::make_unique<Dropout<S>>(0.5, 5), std::make_unique<Linear<S>>(4, 4)));
  const Tensor<S> x = random_tensor<S>(Shape{3, 4}, 4);
  const std::string saved = net.rng_state();
  Tensor<S> first;
  first.assign(net.forward(x));
  Tensor<S> second;
  second.assign(net.forward(x));
  REQUIRE((first.array() != second.array()).any());  // the masks moved on
  net.set_rng_state(saved);
  Tensor<S> replay;
  replay.assign(net.forward(x));
  CHECK((replay.array() == first.array()).all());

  CHECK_THROWS_AS(net.set_rng_state("\n"), io_error);
}

TEMPLATE_TEST_CASE("Residual: forward is body(x) + x, or body(x) + proj(x)", "[layer][container]", float, double) {
  using S = TestType;
  auto lin = std::make_unique<Linear<S>>(2, 2);
  lin->weight() = Tensor<S>(Shape{2, 2}, {1, 2, 3, 4});
  lin->bias() = Tensor<S>(Shape{2}, {S(0.5), S(-1)});
  Residual<S> res(std::move(lin));
  const Tensor<S> x(Shape{1, 2}, {1, -1});
  const Tensor<S>& y = res.forward(x);
  // W x + b = (1 - 2 + 0.5, 3 - 4 - 1) = (-0.5, -2); plus x.
  CHECK(y.shape() == Shape{1, 2});
  CHECK(y[0] == Approx(0.5));
  CHECK(y[1] == Approx(-3));

  auto body = std::make_unique<Linear<S>>(3, 2, false);
  auto proj = std::make_unique<Linear<S>>(3, 2, false);
  body->weight().fill(1);
  proj->weight() = Tensor<S>(Shape{2, 3}, {1, 0, 0, 0, 0, 1});
  Residual<S> projected(std::move(body), std::move(proj));
  const Tensor<S> x3(Shape{1, 3}, {1, 2, 3});
  const Tensor<S>& y3 = projected.forward(x3);
  CHECK(y3.shape() == Shape{1, 2});
  CHECK(y3[0] == Approx(6 + 1));
  CHECK(y3[1] == Approx(6 + 3));
  CHECK(names_of(projected.parameters()) == std::vector<std::string>{"body.weight", "proj.weight"});
}

TEMPLATE_TEST_CASE("Residual: a body that changes the shape without a projection is a shape error naming both shapes", "[layer][container]", float, double) {
  using S = TestType;
  Residual<S> res(std::make_unique<Linear<S>>(3, 2));
  const Tensor<S> x(Shape{4, 3});
  CHECK_THROWS_AS(res.output_shape(x.shape()), shape_error);
  CHECK_THROWS_WITH(res.output_shape(x.shape()), Catch::Contains("Residual(Linear(3 -> 2))::forward()") && Catch::Contains("(4, 2)") &&
                                                     Catch::Contains("(4, 3)"));
  CHECK_THROWS_WITH(res.forward(x), Catch::Contains("Residual(Linear(3 -> 2))::forward()") && Catch::Contains("(4, 2)") && Catch::Contains("(4, 3)"));
  Residual<S> wrong_proj(std::make_unique<Linear<S>>(3, 2), std::make_unique<Linear<S>>(3, 5));
  CHECK_THROWS_WITH(wrong_proj.forward(x), Catch::Contains("projection's output of shape (4, 5)") && Catch::Contains("(4, 2)"));
  CHECK_THROWS_AS(Residual<S>(nullptr), argument_error);
}

TEMPLATE_TEST_CASE("SkipConcat: forward concatenates the input and the inner output along dimension 1", "[layer][container]", float, double) {
  using S = TestType;
  auto lin = std::make_unique<Linear<S>>(2, 1, false);
  lin->weight() = Tensor<S>(Shape{1, 2}, {1, 1});
  SkipConcat<S> flat(std::move(lin));
  const Tensor<S> x(Shape{2, 2}, {1, 2, 3, 4});
  const Tensor<S>& y = flat.forward(x);
  CHECK(y.shape() == Shape{2, 3});
  CHECK(std::vector<S>(y.begin(), y.end()) == std::vector<S>{1, 2, 3, 3, 4, 7});

  // Images: a 1x1 convolution doubling one channel into two; per sample, the input's channels come first.
  auto c = std::make_unique<Conv2d<S>>(conv(1, 2, 1));
  c->parameters()[0].value->fill(2);
  c->parameters()[1].value->set_zero();
  SkipConcat<S> images(std::move(c));
  const Tensor<S> img(Shape{2, 1, 1, 2}, {1, 2, 3, 4});
  const Tensor<S>& yi = images.forward(img);
  CHECK(yi.shape() == Shape{2, 3, 1, 2});
  CHECK(std::vector<S>(yi.begin(), yi.end()) == std::vector<S>{1, 2, 2, 4, 2, 4, 3, 4, 6, 8, 6, 8});
  CHECK(images.output_shape(img.shape()) == yi.shape());
}

TEMPLATE_TEST_CASE("SkipConcat: inner outputs that cannot be concatenated are shape errors naming both shapes", "[layer][container]", float, double) {
  using S = TestType;
  SkipConcat<S> downsampling(std::make_unique<Conv2d<S>>(conv(1, 2, 2, 2)));  // halves H and W
  const Tensor<S> img(Shape{1, 1, 4, 4});
  CHECK_THROWS_WITH(downsampling.forward(img), Catch::StartsWith("SkipConcat(Conv2d(") && Catch::Contains("(1, 1, 4, 4)") &&
                                                   Catch::Contains("(1, 2, 2, 2)") && Catch::Contains("H and W"));
  CHECK_THROWS_AS(downsampling.output_shape(img.shape()), shape_error);
  SkipConcat<S> flattening(std::make_unique<Flatten<S>>());  // rank 4 in, rank 2 out
  CHECK_THROWS_WITH(flattening.forward(img), Catch::Contains("(1, 1, 4, 4)") && Catch::Contains("(1, 16)"));
  CHECK_THROWS_AS(SkipConcat<S>(nullptr), argument_error);
}

TEST_CASE("Residual: input and parameter gradients match finite differences", "[layer][container][gradient]") {
  using S = double;
  SECTION("identity skip") {
    Residual<S> res(chain<S>(std::make_unique<Linear<S>>(4, 4), std::make_unique<Tanh<S>>(), std::make_unique<Linear<S>>(4, 4)));
    require_gradients_match(res, Shape{3, 4});
  }
  SECTION("1x1 convolution projecting 2 channels to 3") {
    Residual<S> res(chain<S>(std::make_unique<Conv2d<S>>(conv(2, 3, 3, 1, 1)), std::make_unique<Tanh<S>>()),
                    std::make_unique<Conv2d<S>>(conv(2, 3, 1)));
    require_gradients_match(res, Shape{2, 2, 4, 4});
  }
}

TEST_CASE("SkipConcat: input and parameter gradients match finite differences", "[layer][container][gradient]") {
  using S = double;
  SECTION("features") {
    SkipConcat<S> skip(chain<S>(std::make_unique<Linear<S>>(3, 2), std::make_unique<Tanh<S>>()));
    require_gradients_match(skip, Shape{4, 3});
  }
  SECTION("channels") {
    SkipConcat<S> skip(chain<S>(std::make_unique<Conv2d<S>>(conv(2, 3, 3, 1, 1)), std::make_unique<Tanh<S>>()));
    require_gradients_match(skip, Shape{2, 2, 3, 3});
  }
}

TEST_CASE("SkipConcat: a three-level U-Net built from the inside out has correct gradients", "[layer][container][gradient]") {
  using S = double;
  // Each level: down-sample by 2, the next level, up-sample by 2; the level returns concat([x, that]).
  auto level = [](Index outer, Index inner, Index inner_out, std::unique_ptr<Layer<S>> submodule) {
    auto body = std::make_unique<Sequential<S>>();
    body->template emplace<Conv2d<S>>(conv(outer, inner, 4, 2, 1));
    body->template emplace<Tanh<S>>();
    if (submodule) body->add(std::move(submodule));
    body->template emplace<ConvTranspose2d<S>>(ConvOptions(inner_out, outer, 4).with_stride(2).with_padding(1));
    return std::make_unique<SkipConcat<S>>(std::move(body));
  };
  auto innermost = level(3, 3, 3, nullptr);        // 2x2 -> 1x1 -> 2x2; 3 + 3 channels out
  auto middle = level(2, 3, 6, std::move(innermost));  // 4x4 -> 2x2; 2 + 2 channels out
  Sequential<S> unet;
  unet.add(level(1, 2, 4, std::move(middle)));  // 8x8 -> 4x4; 1 + 1 channels out
  unet.template emplace<Conv2d<S>>(conv(2, 1, 1));

  CHECK(unet.output_shape(Shape{2, 1, 8, 8}) == Shape{2, 1, 8, 8});
  const auto names = names_of(unet.parameters());
  CHECK(std::find(names.begin(), names.end(), "0.inner.2.inner.2.inner.0.weight") != names.end());
  CHECK(names.size() == 4 * 3 + 2);
  require_gradients_match(unet, Shape{2, 1, 8, 8});
}
