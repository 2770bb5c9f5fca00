// SPDX-License-Identifier: MIT
// The evaluation classifier of ganpp-classifier and ganpp-score (examples/score/mnist_classifier.hpp): its shapes, a
// save/load round trip, and a clear error for a classifier file of another architecture (an older ganpp's).
#include "support.hpp"

#include "score/mnist_classifier.hpp"

using namespace ganpp;

TEST_CASE("The evaluation classifier gives 128 features and 10 logits, and survives a save and load", "[examples][classifier]") {
  mnist::Classifier net(3);
  net.train(false);
  const Tensor<float> x = test::random_tensor<float>(Shape{3, 1, 28, 28}, 5);
  const Tensor<float> f = net.features(x);
  REQUIRE(f.shape() == Shape{3, mnist::Classifier::kFeatures});
  const Tensor<float> logits = net.logits(f);
  REQUIRE(logits.shape() == Shape{3, 10});
  test::TempDir dir;
  net.save(dir.file("c.ganpp"));
  mnist::Classifier other(4);
  other.train(false);
  CHECK_FALSE((other.features(x).array() == f.array()).all());
  other.load(dir.file("c.ganpp"));
  CHECK((other.features(x).array() == f.array()).all());
  CHECK((other.logits(other.features(x)).array() == logits.array()).all());
}

TEST_CASE("Loading a classifier file of another architecture says what to do", "[examples][classifier][errors]") {
  test::TempDir dir;
  SECTION("the first classifier (mnist-cnn-v1, three convolutions)") {
    Checkpoint c;
    c.put("features.0.weight", Tensor<float>(Shape{32, 1, 3, 3}));
    c.put("features.3.weight", Tensor<float>(Shape{64, 32, 4, 4}));
    c.put_text("classifier", "mnist-cnn-v1");
    c.save(dir.file("old.ganpp"));
    mnist::Classifier net;
    CHECK_THROWS_WITH(net.load(dir.file("old.ganpp")), Catch::Contains("Classifier::load()") && Catch::Contains("old.ganpp") &&
                                                           Catch::Contains("'mnist-cnn-v1'") && Catch::Contains("retrain it with ganpp-classifier") &&
                                                           Catch::Contains("not comparable"));
  }
  SECTION("a checkpoint that is not a classifier") {
    Checkpoint c;
    c.put("g.0.weight", Tensor<float>(Shape{2, 2}));
    c.save(dir.file("gan.ganpp"));
    mnist::Classifier net;
    CHECK_THROWS_WITH(net.load(dir.file("gan.ganpp")), Catch::Contains("not of the MNIST classifier"));
  }
  SECTION("this architecture's name with a missing weight") {
    Checkpoint c;
    c.put_text("classifier", mnist::kClassifierArchitecture);
    c.save(dir.file("partial.ganpp"));
    mnist::Classifier net;
    CHECK_THROWS_WITH(net.load(dir.file("partial.ganpp")), Catch::Contains("features.0.weight"));
  }
}
