// SPDX-License-Identifier: MIT
// ganpp-step-replay: replays the iterations torch-step recorded, in ganpp, in lockstep: it starts from libtorch's
// initial weights, feeds the same latents and real batches, compares the generated batch, both losses and every
// gradient with libtorch's, and after each optimizer step compares the parameters and then takes libtorch's values,
// so every iteration starts from the same state and differences cannot compound.
//
// What to expect: float rounding differs (other summation orders), so values agree to about 1e-6 relative. In some
// iterations the gradients of the layers below one activation differ by up to a few percent while everything above
// agrees, and a BatchNorm's bias gradient differs while its weight gradient agrees: the signature of one element
// sitting so close to a ReLU's kink that the rounding puts it on the other side in one of the two, so that its
// gradient takes the other slope (inferred from that pattern, not traced to the element). Adam's first step moves every weight by about +-lr whatever the gradient's size, so a
// near-zero gradient of the other sign shows as a parameter difference of up to 2 lr (4e-4) at step 0.
// Exit status: 0 if every generated batch and loss agree within 1e-4 relative, 3 if not, 1 for a bad record file.
// usage: ganpp-step-replay FILE (--help for more)
#include <ganpp/ganpp.hpp>

#include "common/cli.hpp"
#include "mnist/mnist_models.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using ganpp::Index;
using ganpp::Tensor;

class Records {
 public:
  explicit Records(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw std::runtime_error("cannot open " + path);
  }
  // Reads n bytes into p, counting them for error messages.
  bool read(void* p, std::int64_t n) {
    in_.read(static_cast<char*>(p), n);
    if (in_) offset_ += n;
    return static_cast<bool>(in_);
  }
  std::vector<float> next(const std::string& expected) {
    std::int32_t length = 0;
    std::int64_t count = 0;
    const std::int64_t start = offset_;
    if (!read(&length, sizeof length) || length < 1 || length > 64) fail(start, "a record name of 1 to 64 bytes", expected);
    std::string name(static_cast<std::size_t>(length), ' ');
    if (!read(&name[0], length) || !read(&count, sizeof count) || name != expected || count < 0 || count > (1 << 26))
      fail(start, "record '" + expected + "'", "'" + name + "'");
    std::vector<float> values(static_cast<std::size_t>(count));
    if (!read(values.data(), count * static_cast<std::int64_t>(sizeof(float)))) fail(start, std::to_string(count) + " values", "end of file");
    return values;
  }
  bool at_end() { return in_.peek() == std::ifstream::traits_type::eof(); }
  void into(Tensor<float>& t, const std::string& expected) {
    const std::vector<float> v = next(expected);
    if (static_cast<Index>(v.size()) != t.size())
      throw std::runtime_error(path_ + ": record '" + expected + "' has " + std::to_string(v.size()) + " values, ganpp's tensor " +
                               std::to_string(t.size()) + " (not a dcgan record from torch-step?)");
    std::copy(v.begin(), v.end(), t.data());
  }

 private:
  [[noreturn]] void fail(std::int64_t at, const std::string& wanted, const std::string& got) {
    throw std::runtime_error(path_ + ": expected " + wanted + " in the record at byte " + std::to_string(static_cast<long long>(at)) + ", got " +
                             got);
  }
  std::string path_;
  std::ifstream in_;
  std::int64_t offset_ = 0;
};

/// max |a - b| / max |b|.
double relative(const Tensor<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (Index i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[static_cast<std::size_t>(i)]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[static_cast<std::size_t>(i)])));
  }
  return diff / std::max(scale, 1e-30);
}

/// Largest |a - b| over all parameters, then a takes b's values.
double compare_and_sync(const std::vector<ganpp::Parameter<float>>& params, Records& r, const std::string& name) {
  double worst = 0;
  for (const auto& p : params) {
    const std::vector<float> v = r.next(name);
    for (Index i = 0; i < p.value->size(); ++i) {
      worst = std::max(worst, std::fabs(static_cast<double>((*p.value)[i]) - v[static_cast<std::size_t>(i)]));
      (*p.value)[i] = v[static_cast<std::size_t>(i)];
    }
  }
  return worst;
}

double worst_gradient(const std::vector<ganpp::Parameter<float>>& params, Records& r, const std::string& name) {
  double worst = 0;
  for (const auto& p : params) worst = std::max(worst, relative(*p.grad, r.next(name)));
  return worst;
}

/// BatchNorm running statistics: largest relative difference, then ganpp takes libtorch's values.
double buffers(ganpp::Model<float>& m, Records& r, const std::string& name) {
  double worst = 0;
  for (auto& b : m.buffers()) {
    const std::vector<float> v = r.next(name);
    worst = std::max(worst, relative(*b.value, v));
    std::copy(v.begin(), v.end(), b.value->data());
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  examples::App app("ganpp-step-replay",
                    "Replays the libtorch iterations that torch-step recorded in ganpp, in lockstep, and prints how far each part\n"
                    "differs; exits 0 when the generated batches and losses agree within 1e-4, 3 when not.");
  app.add_option("file", file, "the record torch-step wrote (torch-step --out FILE)")->required();
  return examples::run_cli(app, argc, argv, [&] {
    ganpp::set_num_threads(1);
    Records r(file);
    ganpp::Generator<float> g = mnist::dcgan_generator<float>();
    ganpp::Discriminator<float> d = mnist::dcgan_discriminator<float>();
    for (auto& p : g.parameters()) r.into(*p.value, "g.init");
    for (auto& p : d.parameters()) r.into(*p.value, "d.init");
    ganpp::Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999});
    const ganpp::GanLoss<float> loss;
    Tensor<float> z(ganpp::Shape{64, 100, 1, 1}), real(ganpp::Shape{64, 1, 28, 28}), grad;
    std::printf("%4s %10s %9s %9s %9s %10s %9s %9s %10s %9s\n", "step", "fake rel", "D loss", "G loss", "D grad", "D params", "G grad", "G params",
                "BN stats", "kink?");
    double worst_forward = 0;
    int steps = 0, clean = 0;
    for (; !r.at_end(); ++steps) {
      r.into(z, "z");
      r.into(real, "real");
      g.train();
      d.train();
      const Tensor<float>& fake = g.forward(z);
      const double fake_rel = relative(fake, r.next("fake"));
      d.set_frozen(false);
      d.set_input_grad(false);
      d_opt.zero_grad();
      double d_loss = loss.discriminator_real(d.forward(real), grad);
      d.backward(grad);
      d_loss += loss.discriminator_fake(d.forward(fake), grad);
      d.backward(grad);
      const double d_loss_rel = std::fabs(d_loss - r.next("d.loss")[0]) / std::fabs(d_loss);
      const double d_grad = worst_gradient(d.parameters(), r, "d.grad");
      d_opt.step();
      const double d_params = compare_and_sync(d.parameters(), r, "d.after");
      d.set_frozen(true);
      d.set_input_grad(true);
      g_opt.zero_grad();
      const double g_loss = loss.generator(d.forward(fake), grad);
      g.backward(d.backward(grad));
      d.set_frozen(false);
      const double g_loss_rel = std::fabs(g_loss - r.next("g.loss")[0]) / std::fabs(g_loss);
      const double g_grad = worst_gradient(g.parameters(), r, "g.grad");
      g_opt.step();
      const double g_params = compare_and_sync(g.parameters(), r, "g.after");
      const double g_bn = buffers(g, r, "g.buffer");  // in the file's order: G's, then D's
      const double bn = std::max(g_bn, buffers(d, r, "d.buffer"));
      const bool kink = std::max(d_grad, g_grad) > 1e-4;
      clean += kink ? 0 : 1;
      worst_forward = std::max({worst_forward, fake_rel, d_loss_rel, g_loss_rel});
      std::printf("%4d %10.1e %9.1e %9.1e %9.1e %10.1e %9.1e %9.1e %10.1e %9s\n", steps, fake_rel, d_loss_rel, g_loss_rel, d_grad, d_params, g_grad,
                  g_params, bn, kink ? "yes" : "");
    }
    std::printf(
        "%d iterations: generated batches and losses agree within %.1e (relative); every gradient within 1e-4 in %d of them\n"
        "(for the others see the comment at the top of step_replay.cpp: most likely an activation at a ReLU's kink)\n",
        steps, worst_forward, clean);
    return steps > 0 && worst_forward <= 1e-4 ? 0 : 3;
  });
}
