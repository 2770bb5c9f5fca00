// SPDX-License-Identifier: MIT
// Tensor basics and a finite-difference gradient check in double for every layer.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

using namespace ganpp;
using T = double;

namespace {

Tensor<T> random_tensor(const Shape& s, std::uint64_t seed) {
  Tensor<T> t(s);
  Rng rng(seed);
  rng.fill_normal(t);
  return t;
}

// Train-mode check of input and parameter gradients; parameters get random values first so that no gradient
// hides behind a zero or a one.
void require_gradients_match(Layer<T>& layer, const Shape& input_shape, double tol = 1e-6) {
  Rng rng(7);
  for (auto& p : layer.parameters()) rng.fill_normal(*p.value, 0.0, 0.5);
  const GradientCheckResult r = check_layer_gradients(layer, random_tensor(input_shape, 11));
  INFO(layer.name() << ": worst entry " << r.where << ", error " << r.max_error);
  REQUIRE(r.max_error < tol);
}

// A layer whose backward is off by a factor: the checker must catch it.
class WrongScale : public Layer<T> {
 public:
  std::string name() const override { return "WrongScale"; }
  Shape output_shape(const Shape& in) const override { return in; }
  const Tensor<T>& forward(const Tensor<T>& x) override {
    out_.assign(x);
    out_.array() *= 3.0;
    return out_;
  }
  const Tensor<T>& backward(const Tensor<T>& dy) override {
    grad_.assign(dy);
    grad_.array() *= 2.9;
    return grad_;
  }

 private:
  Tensor<T> out_, grad_;
};

}  // namespace

TEST_CASE("Shape and Tensor basics", "[tensor]") {
  Tensor<float> t(Shape{2, 3, 4, 5});
  CHECK(t.size() == 120);
  CHECK(t.batch() == 2);
  CHECK(t.shape().str() == "(2, 3, 4, 5)");
  CHECK(t.shape().sample_shape() == Shape{3, 4, 5});
  CHECK(t.matrix().rows() == 60);
  CHECK(t.matrix().cols() == 2);
  t.at(1, 2, 3, 4) = 7.0f;
  CHECK(t[119] == 7.0f);
  const float* before = t.data();
  t.resize(Shape{2, 60});  // same size: buffer kept
  CHECK(t.data() == before);
  CHECK_THROWS_AS(t.reshape(Shape{7, 7}), shape_error);
  CHECK_THROWS_WITH(t.matrix(7, 7), Catch::Contains("(2, 60)"));
  CHECK_THROWS_AS(Shape({1, 2, 3, 4, 5}), shape_error);
  CHECK_THROWS_AS(Tensor<float>(Shape{2}, std::vector<float>{1, 2, 3}), shape_error);
}

TEST_CASE("Rng is deterministic and its state round-trips", "[tensor]") {
  Rng a(42), b(42);
  for (int i = 0; i < 5; ++i) a.normal();
  b.set_state(a.state());
  for (int i = 0; i < 10; ++i) REQUIRE(a.normal() == b.normal());
  Rng c(42);
  double mean = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double v = c.normal();
    mean += v / n;
    sq += v * v / n;
  }
  CHECK(std::abs(mean) < 0.03);
  CHECK(std::abs(sq - 1.0) < 0.05);
  CHECK_THROWS_AS(c.set_state("not a state"), io_error);
}

TEST_CASE("the gradient checker catches a wrong backward", "[layer][gradcheck]") {
  WrongScale wrong;
  CHECK(check_layer_gradients<T>(wrong, random_tensor(Shape{2, 3}, 1)).max_error > 0.01);
}

TEST_CASE("gradient check: Linear", "[layer][gradcheck]") {
  Linear<T> with_bias(5, 4), no_bias(5, 3, false);
  require_gradients_match(with_bias, Shape{3, 5});
  require_gradients_match(no_bias, Shape{2, 5});
}

TEST_CASE("gradient check: Conv2d", "[layer][gradcheck]") {
  Conv2d<T> a(ConvOptions(2, 3, 3));
  Conv2d<T> b(ConvOptions(3, 2, 4).with_stride(2).with_padding(1).with_bias(false));
  Conv2d<T> c(ConvOptions(1, 2, 2).with_stride(3).with_padding(2));
  require_gradients_match(a, Shape{2, 2, 5, 4});
  require_gradients_match(b, Shape{2, 3, 6, 7});
  require_gradients_match(c, Shape{2, 1, 5, 5});
}

TEST_CASE("gradient check: ConvTranspose2d", "[layer][gradcheck]") {
  ConvTranspose2d<T> a(ConvOptions(3, 2, 4).with_stride(2).with_padding(1).with_bias(false));
  ConvTranspose2d<T> b(ConvOptions(2, 3, 3).with_stride(2).with_padding(1).with_output_padding(1));
  ConvTranspose2d<T> c(ConvOptions(4, 2, 4));  // 1x1 -> 4x4, as the DCGAN generator's first layer
  require_gradients_match(a, Shape{2, 3, 3, 4});
  require_gradients_match(b, Shape{2, 2, 3, 3});
  require_gradients_match(c, Shape{3, 4, 1, 1});
}

TEST_CASE("gradient check: BatchNorm in train and eval mode", "[layer][gradcheck]") {
  BatchNorm<T> bn1(4), bn2(3);
  require_gradients_match(bn1, Shape{5, 4});
  require_gradients_match(bn2, Shape{3, 3, 2, 3});
  BatchNorm<T> eval(3);
  eval.forward(random_tensor(Shape{4, 3, 2, 2}, 3));  // gives running statistics something to hold
  eval.eval();
  require_gradients_match(eval, Shape{2, 3, 2, 2});
}

TEST_CASE("BatchNorm normalises in train mode and uses running statistics in eval mode", "[layer]") {
  BatchNorm<T> bn(2, 1e-5, 1.0);  // momentum 1: running statistics = last batch's
  Tensor<T> x(Shape{4, 2}, std::vector<T>{1, 10, 2, 20, 3, 30, 4, 40});
  const Tensor<T>& y = bn.forward(x);
  double mean0 = 0;
  for (int n = 0; n < 4; ++n) mean0 += y[n * 2] / 4;
  CHECK(mean0 == Approx(0).margin(1e-12));
  auto buffers = bn.buffers();
  CHECK((*buffers[0].value)[1] == Approx(25));
  CHECK((*buffers[1].value)[0] == Approx(5.0 / 3.0));  // unbiased variance of 1, 2, 3, 4
  bn.eval();
  Tensor<T> one(Shape{1, 2}, std::vector<T>{2.5, 25});
  const Tensor<T>& z = bn.forward(one);
  CHECK(z[0] == Approx(0).margin(1e-12));
  CHECK(z[1] == Approx(0).margin(1e-12));
  CHECK_THROWS_AS(BatchNorm<T>(2).forward(Tensor<T>(Shape{1, 2})), argument_error);
}

TEST_CASE("gradient check: activations", "[layer][gradcheck]") {
  ReLU<T> relu;
  LeakyReLU<T> leaky(0.2);
  Tanh<T> tanh_layer;
  Sigmoid<T> sigmoid_layer;
  require_gradients_match(relu, Shape{3, 7});
  require_gradients_match(leaky, Shape{2, 3, 2, 2});
  require_gradients_match(tanh_layer, Shape{3, 7});
  require_gradients_match(sigmoid_layer, Shape{3, 7});
  Sigmoid<T> s;
  Tensor<T> extreme(Shape{1, 2}, std::vector<T>{-1000, 1000});
  const Tensor<T>& y = s.forward(extreme);
  CHECK(y[0] == 0.0);
  CHECK(y[1] == 1.0);
}

TEST_CASE("gradient check: Dropout, Reshape, Flatten", "[layer][gradcheck]") {
  Dropout<T> dropout(0.4, 5);
  require_gradients_match(dropout, Shape{4, 6});
  Reshape<T> reshape(Shape{3, 1, 2});
  require_gradients_match(reshape, Shape{2, 6});
  Flatten<T> flatten;
  require_gradients_match(flatten, Shape{2, 3, 2, 2});
  // Dropout: about p of the values dropped in train mode, none in eval mode, and the expectation kept.
  Dropout<float> d(0.25, 1);
  Tensor<float> ones(Shape{100, 100}, 1.0f);
  const Tensor<float>& y = d.forward(ones);
  CHECK(y.array().mean() == Approx(1.0).epsilon(0.03));
  CHECK((y.array() == 0.0f).count() == Approx(2500).epsilon(0.1));
  d.eval();
  CHECK(d.forward(ones).array().minCoeff() == 1.0f);
}

TEST_CASE("gradient check: Embedding and LabelConcat", "[layer][gradcheck]") {
  Embedding<T> emb(5, 3);
  Tensor<T> idx(Shape{4}, std::vector<T>{0, 3, 3, 4});
  GradientCheckOptions params_only;
  params_only.check_input = false;
  const GradientCheckResult r = check_layer_gradients(emb, idx, params_only);
  CHECK(r.max_error < 1e-6);
  // The weight gradient of a class that appears twice is the sum of both rows' gradients: tested by the check above.
  CHECK_THROWS_WITH(emb.forward(Tensor<T>(Shape{1}, std::vector<T>{5})), Catch::Contains("Embedding(5, 3)") && Catch::Contains("[0, 5)"));
  CHECK_THROWS_AS(emb.forward(Tensor<T>(Shape{1}, std::vector<T>{1.5})), argument_error);

  std::vector<int> labels{2, 0, 1};
  LabelConcat<T> flat(3, 2), image(3, 4);
  flat.set_labels(&labels);
  image.set_labels(&labels);
  require_gradients_match(flat, Shape{3, 4});
  require_gradients_match(image, Shape{3, 2, 2, 3});
  CHECK(flat.output_shape(Shape{3, 4}) == Shape{3, 6});
  std::vector<int> short_labels{1};
  flat.set_labels(&short_labels);
  CHECK_THROWS_AS(flat.forward(random_tensor(Shape{3, 4}, 1)), argument_error);
}

TEST_CASE("gradient check: a Sequential of several layers", "[layer][gradcheck]") {
  Sequential<T> net;
  net.emplace<Conv2d<T>>(ConvOptions(1, 2, 3).with_stride(2).with_padding(1))
      .emplace<BatchNorm<T>>(2)
      .emplace<LeakyReLU<T>>(0.2)
      .emplace<Flatten<T>>()
      .emplace<Linear<T>>(18, 1);
  require_gradients_match(net, Shape{3, 1, 6, 6});
  CHECK(net.parameters().size() == 6);
  CHECK(net.parameters()[0].name == "0.weight");
  CHECK(net.parameters()[5].name == "4.bias");
}

TEST_CASE("frozen layers return input gradients but leave parameter gradients alone", "[layer]") {
  Sequential<T> net;
  net.emplace<Linear<T>>(3, 4).emplace<BatchNorm<T>>(4).emplace<Linear<T>>(4, 1);
  net.zero_grad();
  net.set_frozen(true);
  const Tensor<T> x = random_tensor(Shape{5, 3}, 1);  // layers keep a pointer to their input until backward
  net.forward(x);
  const Tensor<T>& gx = net.backward(random_tensor(Shape{5, 1}, 2));
  CHECK(gx.array().abs().sum() > 0);
  for (auto& p : net.parameters()) CHECK(p.grad->array().abs().sum() == 0);
}

TEST_CASE("shape errors name the layer and both shapes", "[layer][errors]") {
  Linear<float> linear(784, 512);
  CHECK_THROWS_WITH(linear.forward(Tensor<float>(Shape{64, 100})),
                    Catch::Contains("Linear(784 -> 512)") && Catch::Contains("(N, 784)") && Catch::Contains("(64, 100)"));
  Conv2d<float> conv(ConvOptions(1, 64, 4).with_stride(2).with_padding(1));
  CHECK_THROWS_WITH(conv.forward(Tensor<float>(Shape{2, 3, 28, 28})),
                    Catch::Contains("Conv2d(1 -> 64, k4 s2 p1)") && Catch::Contains("(2, 3, 28, 28)"));
  Sequential<float> net;
  net.emplace<Linear<float>>(10, 20).emplace<ReLU<float>>().emplace<Linear<float>>(21, 1);
  CHECK_THROWS_WITH(net.output_shape(Shape{1, 10}), Catch::Contains("Linear(21 -> 1)") && Catch::Contains("(1, 20)"));
  CHECK_THROWS_AS(Linear<float>(0, 3), argument_error);
  CHECK_THROWS_AS(Conv2d<float>(ConvOptions(1, 1, 3).with_stride(0)), argument_error);
  CHECK_THROWS_AS(LeakyReLU<float>(-0.1f), argument_error);
  CHECK_THROWS_AS(Dropout<float>(1.0), argument_error);
  Linear<float> l(3, 2);
  l.forward(Tensor<float>(Shape{4, 3}));
  CHECK_THROWS_WITH(l.backward(Tensor<float>(Shape{4, 3})), Catch::Contains("Linear(3 -> 2)::backward()") && Catch::Contains("(4, 2)"));
}
