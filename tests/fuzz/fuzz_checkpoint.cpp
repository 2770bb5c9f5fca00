// SPDX-License-Identifier: MIT
// libFuzzer target: Checkpoint::load() on arbitrary files, then every entry read back, the load_model() /
// load_optimizer() helpers run against a small model and its Adam optimizer (prefixes "m" and "o"), and
// TrainingState::load() against a small GAN; whatever was accepted must then train.
//
// The first input byte picks the mode: even, the rest is the file as is (reaches the header checks); odd, the rest
// is a payload that gets a valid header with its true size and checksum (reaches the entry parser, which a random
// mutation could otherwise only reach by matching a 64-bit checksum).
#include "fuzz_common.hpp"

#include <ganpp/checkpoint.hpp>
#include <ganpp/layers.hpp>
#include <ganpp/model_io.hpp>
#include <ganpp/optim.hpp>
#include <ganpp/training_state.hpp>

#include <vector>

using namespace ganpp_fuzz;

namespace {

std::uint64_t fnv1a(const std::uint8_t* p, std::size_t n) {
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<std::uint8_t> file;
  if (data[0] & 1) {
    const std::string magic = "GANPPCKP";
    file.assign(magic.begin(), magic.end());
    put_le(file, 1, 4);
    put_le(file, size - 1, 8);
    put_le(file, fnv1a(data + 1, size - 1), 8);
  }
  file.insert(file.end(), data + 1, data + size);
  const std::string& path = write_scratch(file.data(), file.size());

  ganpp::Checkpoint c;
  try {
    c = ganpp::Checkpoint::load(path);
  } catch (const ganpp::io_error&) {
    return 0;
  }
  for (const std::string& name : c.names()) {
    expect_clean([&] { (void)c.text(name); });
    expect_clean([&] { (void)c.tensor<float>(name); });
    expect_clean([&] { (void)c.tensor<double>(name); });
  }
  // A generator-like model: Linear 2 -> 3, Dropout (random state), Linear 3 -> 1.
  ganpp::Sequential<float> net;
  net.emplace<ganpp::Linear<float>>(2, 3).emplace<ganpp::Dropout<float>>(0.5f).emplace<ganpp::Linear<float>>(3, 1);
  ganpp::Discriminator<float> model(std::move(net), ganpp::Shape{2});
  ganpp::Adam<float> opt(model.parameters(), {1e-3, 0.9, 0.999});
  expect_clean([&] { ganpp::load_model(c, "m", model); });
  expect_clean([&] { ganpp::load_optimizer(c, "o", opt); });
  // Whatever was loaded, the model and optimizer must still train: a forward, backward and update step.
  for (auto& p : model.parameters()) require(p.value->all_finite(), "loaded parameters are finite");
  ganpp::Tensor<float> x(ganpp::Shape{2, 2}), g(ganpp::Shape{2, 1});
  x.set_zero();
  g.set_zero();
  g[0] = 1.0f;
  model.train();
  opt.zero_grad();
  const ganpp::Tensor<float>& y = model.forward(x);
  require(y.size() == 2, "the model still runs");
  model.backward(g);
  (void)opt.step();

  // The same file as a whole training state: generator z(1) -> 2, the discriminator above, Adam for each.
  ganpp::Sequential<float> g_net;
  g_net.emplace<ganpp::Linear<float>>(1, 2);
  ganpp::Generator<float> gen(std::move(g_net), ganpp::Shape{1});
  ganpp::Adam<float> g_opt(gen.parameters(), {1e-3, 0.5, 0.999});
  ganpp::GanTrainer<float> trainer(gen, model, g_opt, opt);
  ganpp::TrainingState<float> state{gen, model, g_opt, opt, trainer};
  expect_clean([&] { state.load(c); });
  ganpp::Tensor<float> real(ganpp::Shape{3, 2}, 0.5f);
  expect_clean([&] { (void)trainer.step(real); });  // a divergence_error is a clean outcome for loaded optimizer state
  return 0;
}
