// SPDX-License-Identifier: MIT
// Checkpoint files: round trips of models and optimizers, and a clear io_error for every kind of bad file.
#include <catch2/catch.hpp>
#include <ganpp/checkpoint.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/model_io.hpp>

#include "support.hpp"

#include <filesystem>

using namespace ganpp;
namespace fs = std::filesystem;

namespace {

using test::read_bytes;
using test::TempDir;
using test::write_bytes;

Sequential<float> small_net() {
  Sequential<float> net;
  net.emplace<Linear<float>>(3, 4).emplace<BatchNorm<float>>(4).emplace<Dropout<float>>(0.5, 3).emplace<Linear<float>>(4, 1);
  return net;
}


/// Parameters, buffers and the layers' random state of a model, as bytes.
template <typename Scalar>
std::string model_bytes(Model<Scalar>& m) {
  std::string s = m.net().rng_state();
  for (auto& p : m.parameters()) s.append(reinterpret_cast<const char*>(p.value->data()), sizeof(Scalar) * static_cast<std::size_t>(p.value->size()));
  for (auto& b : m.buffers()) s.append(reinterpret_cast<const char*>(b.value->data()), sizeof(Scalar) * static_cast<std::size_t>(b.value->size()));
  return s;
}

/// An optimizer's kind, step count and state tensors, as bytes.
template <typename Scalar>
std::string optimizer_bytes(const Optimizer<Scalar>& opt) {
  const OptimizerState<Scalar> st = opt.state();
  std::string s = st.kind + " " + std::to_string(st.step);
  for (const auto& [name, t] : st.tensors) s += name + std::string(reinterpret_cast<const char*>(t.data()), sizeof(Scalar) * static_cast<std::size_t>(t.size()));
  return s;
}

}  // namespace

TEST_CASE("a model and its optimizer round-trip exactly", "[checkpoint]") {
  TempDir dir;
  Discriminator<float> d(small_net(), Shape{3});
  d.reset_parameters(Init::dcgan, 5);
  Adam<float> opt(d.parameters());
  Tensor<float> x(Shape{8, 3});
  Rng(1).fill_normal(x);
  for (int i = 0; i < 3; ++i) {  // move every state: parameters, running statistics, Adam moments, dropout rng
    opt.zero_grad();
    d.forward(x);
    d.backward(Tensor<float>(Shape{8, 1}, 1.0f));
    opt.step();
  }
  Checkpoint c;
  save_model(c, "d", d);
  save_optimizer(c, "d_opt", opt);
  c.put_text("note", "hello");
  c.save(dir.file("a.ganpp"));
  CHECK_FALSE(fs::exists(dir.file("a.ganpp.tmp")));

  Discriminator<float> d2(small_net(), Shape{3});
  Adam<float> opt2(d2.parameters());
  const Checkpoint loaded = Checkpoint::load(dir.file("a.ganpp"));
  load_model(loaded, "d", d2);
  load_optimizer(loaded, "d_opt", opt2);
  CHECK(loaded.text("note") == "hello");
  CHECK(opt2.steps() == 3);
  // Identical from here on: the same next forward (dropout draws included) and the same next update.
  for (auto* m : {&d, &d2}) m->forward(x);
  CHECK((d.net().forward(x).array() == d2.net().forward(x).array()).all());
  auto p1 = d.parameters(), p2 = d2.parameters();
  for (std::size_t i = 0; i < p1.size(); ++i) CHECK((p1[i].value->array() == p2[i].value->array()).all());
  auto b1 = d.buffers(), b2 = d2.buffers();
  for (std::size_t i = 0; i < b1.size(); ++i) CHECK((b1[i].value->array() == b2[i].value->array()).all());
}

TEST_CASE("bad checkpoint files are refused with a message naming the file and the problem", "[checkpoint][errors]") {
  TempDir dir;
  Discriminator<float> d(small_net(), Shape{3});
  Checkpoint c;
  save_model(c, "d", d);
  const std::string good = dir.file("good.ganpp");
  c.save(good);
  const std::string bytes = read_bytes(good);
  const std::string bad = dir.file("bad.ganpp");

  SECTION("missing") { CHECK_THROWS_WITH(Checkpoint::load(dir.file("none.ganpp")), Catch::Contains("none.ganpp")); }
  SECTION("truncated") {
    write_bytes(bad, bytes.substr(0, bytes.size() - 10));
    CHECK_THROWS_WITH(Checkpoint::load(bad), Catch::Contains("bad.ganpp") && Catch::Contains("truncated"));
  }
  SECTION("shorter than the header") {
    write_bytes(bad, bytes.substr(0, 5));
    CHECK_THROWS_WITH(Checkpoint::load(bad), Catch::Contains("header"));
  }
  SECTION("trailing bytes") {
    write_bytes(bad, bytes + "xx");
    CHECK_THROWS_WITH(Checkpoint::load(bad), Catch::Contains("trailing"));
  }
  SECTION("bit flip in the payload") {
    std::string b = bytes;
    b[b.size() - 3] ^= 0x10;
    write_bytes(bad, b);
    CHECK_THROWS_WITH(Checkpoint::load(bad), Catch::Contains("checksum"));
  }
  SECTION("bad magic") {
    write_bytes(bad, "NOTACKPT" + bytes.substr(8));
    CHECK_THROWS_WITH(Checkpoint::load(bad), Catch::Contains("not a ganpp checkpoint"));
  }
  SECTION("newer format version") {
    std::string b = bytes;
    b[8] = 2;
    write_bytes(bad, b);
    CHECK_THROWS_WITH(Checkpoint::load(bad), Catch::Contains("version 2") && Catch::Contains("newer"));
  }
  SECTION("a model of another shape") {
    Sequential<float> other;
    other.emplace<Linear<float>>(3, 5).emplace<BatchNorm<float>>(5).emplace<Dropout<float>>(0.5).emplace<Linear<float>>(5, 1);
    Discriminator<float> d2(std::move(other), Shape{3});
    d2.reset_parameters(Init::dcgan, 3);
    const std::string before = model_bytes(d2);
    CHECK_THROWS_WITH(load_model(Checkpoint::load(good), "d", d2), Catch::Contains("(4, 3)") && Catch::Contains("(5, 3)"));
    CHECK(model_bytes(d2) == before);
  }
  SECTION("a model that matches the file except for its last layer leaves all of it unchanged") {
    // Parameters 0 and 1 match the file; the last Linear is layer 4 here and layer 3 there.
    Sequential<float> other;
    other.emplace<Linear<float>>(3, 4).emplace<BatchNorm<float>>(4).emplace<LeakyReLU<float>>(0.2f).emplace<Dropout<float>>(0.5).emplace<Linear<float>>(4, 1);
    Discriminator<float> d2(std::move(other), Shape{3});
    d2.reset_parameters(Init::dcgan, 3);
    const std::string before = model_bytes(d2);
    CHECK_THROWS_WITH(load_model(Checkpoint::load(good), "d", d2), Catch::Contains("d.4.weight"));
    CHECK(model_bytes(d2) == before);
  }
  SECTION("another scalar type") {
    Sequential<double> net;
    net.emplace<Linear<double>>(3, 4).emplace<BatchNorm<double>>(4).emplace<Dropout<double>>(0.5).emplace<Linear<double>>(4, 1);
    Discriminator<double> dd(std::move(net), Shape{3});
    dd.reset_parameters(Init::dcgan, 3);
    const std::string before = model_bytes(dd);
    CHECK_THROWS_WITH(load_model(Checkpoint::load(good), "d", dd), Catch::Contains("float32") && Catch::Contains("float64"));
    CHECK(model_bytes(dd) == before);
  }
  SECTION("an optimizer of another kind") {
    Checkpoint with_opt;
    Adam<float> adam(d.parameters());
    save_optimizer(with_opt, "opt", adam);
    Sgd<float> sgd(d.parameters(), {0.1, 0.9});
    for (auto& p : d.parameters()) p.grad->fill(0.5f);
    sgd.step();  // a momentum buffer to keep
    const std::string before = optimizer_bytes(sgd);
    CHECK_THROWS_WITH(load_optimizer(with_opt, "opt", sgd), Catch::Contains("Adam"));
    CHECK(optimizer_bytes(sgd) == before);
    CHECK(sgd.steps() == 1);
  }
  SECTION("an optimizer state with a step count out of range") {
    Adam<float> adam(d.parameters());
    for (auto& p : d.parameters()) p.grad->fill(0.5f);
    adam.step();
    Checkpoint with_opt;
    save_optimizer(with_opt, "opt", adam);
    with_opt.put_text("opt.step", "-1");
    adam.step();
    const std::string before = optimizer_bytes(adam);
    CHECK_THROWS_WITH(load_optimizer(with_opt, "opt", adam), Catch::Contains("step count -1"));
    CHECK(optimizer_bytes(adam) == before);
    CHECK(adam.steps() == 2);
  }
}

TEST_CASE("a failed save leaves the previous checkpoint intact", "[checkpoint][errors]") {
  TempDir dir;
  Checkpoint c;
  c.put_text("v", "1");
  CHECK_THROWS_AS(c.save(dir.file("no/such/dir/x.ganpp")), io_error);
  const std::string path = dir.file("keep.ganpp");
  c.save(path);
  // A directory where the temporary file should go makes the next save fail before it touches path.
  fs::create_directory(path + ".tmp");
  Checkpoint newer;
  newer.put_text("v", "2");
  CHECK_THROWS_WITH(newer.save(path), Catch::Contains("keep.ganpp.tmp"));
  CHECK(Checkpoint::load(path).text("v") == "1");
}

TEST_CASE("non-finite parameters are never written to a checkpoint", "[checkpoint][errors]") {
  Discriminator<float> d(small_net(), Shape{3});
  (*d.parameters()[0].value)[2] = std::numeric_limits<float>::infinity();
  Checkpoint c;
  CHECK_THROWS_WITH(save_model(c, "d", d), Catch::Contains("0.weight"));
  CHECK(c.names().empty());

  // A checkpoint that holds a good save keeps all of it when a later save of a diverged model fails, wherever the
  // non-finite value is: no mix of new and old entries.
  Discriminator<float> good(small_net(), Shape{3});
  good.reset_parameters(Init::dcgan, 1);
  Checkpoint kept;
  save_model(kept, "d", good);
  const std::vector<std::string> names = kept.names();
  const auto contents = [&] {
    std::string bytes = kept.text("d.rng");
    for (const std::string& name : names)
      if (name != "d.rng") {
        const Tensor<float> t = kept.tensor<float>(name);
        bytes += name + std::string(reinterpret_cast<const char*>(t.data()), sizeof(float) * static_cast<std::size_t>(t.size()));
      }
    return bytes;
  };
  const std::string before = contents();
  Discriminator<float> diverged(small_net(), Shape{3});
  diverged.reset_parameters(Init::dcgan, 2);
  SECTION("in the last parameter") {
    (*diverged.parameters().back().value)[0] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(save_model(kept, "d", diverged), Catch::Contains("d." + diverged.parameters().back().name));
  }
  SECTION("in a buffer") {
    (*diverged.buffers().back().value)[1] = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(save_model(kept, "d", diverged), Catch::Contains("d." + diverged.buffers().back().name));
  }
  CHECK(kept.names() == names);
  CHECK(contents() == before);
}
