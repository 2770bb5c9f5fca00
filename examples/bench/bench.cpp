// SPDX-License-Identifier: MIT
// ganpp-bench: milliseconds per full training iteration (one D step, one G step) of the reference GANs.
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/mnist.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/sr_trainer.hpp>
#include <ganpp/stylegan_trainer.hpp>
#include <ganpp/superres.hpp>
#include <ganpp/translation.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "mnist/mnist_models.hpp"
#include "stylegan/stylegan_model.hpp"
#include "translation/translation_models.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using ganpp::Index;

/// One matrix product of a training iteration as the layers issue it: C (m x n) = op(A) (m x k) op(B) (k x n),
/// `count` times per iteration. The list below mirrors Linear, Conv2d and ConvTranspose2d: G runs forward once and
/// backward once (weight and input gradients; no input gradient for its first layer, the latent); D runs forward
/// three times (real, fake, fake again for the G step), input gradients three times (once for its first layer:
/// only the G step needs d(fake)), weight gradients twice (its own step; frozen in the G step).
struct GemmShape {
  Index m, n, k;
  bool trans_a, trans_b;
  double count;
  double flops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) * count; }
};

struct GemmList {
  std::vector<GemmShape> items;
  void add(Index m, Index n, Index k, bool ta, bool tb, double count) {
    if (count > 0) items.push_back({m, n, k, ta, tb, count});
  }
  // fwd, wgrad, igrad counts per layer.
  void linear(Index in, Index out, Index batch, double fwd, double wgrad, double igrad) {
    add(out, batch, in, true, false, fwd);
    add(in, out, batch, false, true, wgrad);
    add(in, batch, out, false, false, igrad);
  }
  void conv(Index cin, Index cout, Index k, Index out_side, Index batch, double fwd, double wgrad, double igrad) {
    const Index line = batch * out_side * out_side, rows = cin * k * k;
    add(line, cout, rows, false, false, fwd);
    add(rows, cout, line, true, false, wgrad);
    add(line, rows, cout, false, true, igrad);
  }
  void conv_transpose(Index cin, Index cout, Index k, Index in_side, Index batch, double fwd, double wgrad, double igrad) {
    const Index line = batch * in_side * in_side, rows = cout * k * k;
    add(line, rows, cin, false, true, fwd);
    add(rows, cin, line, true, false, wgrad);
    add(line, cin, rows, false, false, igrad);
  }
  double flops() const {
    double f = 0;
    for (const auto& g : items) f += g.flops();
    return f;
  }
};

// ganpp-sr's default MNIST models, timed by --model srgan.
constexpr Index kSrChannels = 32, kSrBlocks = 8, kSrDChannels = 32;

GemmList iteration_gemms(const std::string& model, Index b) {
  GemmList l;
  if (model == "mlp") {
    const Index g[][2] = {{100, 256}, {256, 512}, {512, 1024}, {1024, 784}};
    for (int i = 0; i < 4; ++i) l.linear(g[i][0], g[i][1], b, 1, 1, i == 0 ? 0 : 1);
    const Index d[][2] = {{784, 512}, {512, 256}, {256, 1}};
    for (int i = 0; i < 3; ++i) l.linear(d[i][0], d[i][1], b, 3, 2, i == 0 ? 1 : 3);
  } else if (model == "srgan") {
    // ganpp-sr's MNIST models (32 channels, 8 blocks; D 32 channels, 2 stages): G runs forward once (its output feeds
    // D's step and its own), backward once; D as above. {in, out, kernel, output side}
    const Index c = kSrChannels, dc = kSrDChannels;
    l.conv(1, c, 9, 7, b, 1, 1, 0);
    for (Index i = 0; i < 2 * kSrBlocks + 1; ++i) l.conv(c, c, 3, 7, b, 1, 1, 1);
    l.conv(c, 4 * c, 3, 7, b, 1, 1, 1);
    l.conv(c, 4 * c, 3, 14, b, 1, 1, 1);
    l.conv(c, 1, 9, 28, b, 1, 1, 1);
    const Index d[][4] = {{1, dc, 3, 28}, {dc, dc, 3, 14}, {dc, 2 * dc, 3, 14}, {2 * dc, 2 * dc, 3, 7}};
    for (int i = 0; i < 4; ++i) l.conv(d[i][0], d[i][1], d[i][2], d[i][3], b, 3, 2, i == 0 ? 1 : 3);
    l.linear(2 * dc * 49, 256, b, 3, 2, 3);
    l.linear(256, 1, b, 3, 2, 3);
  } else {
    // {in channels, out channels, kernel, input side}
    const Index g[][4] = {{100, 256, 4, 1}, {256, 128, 3, 4}, {128, 64, 4, 7}, {64, 1, 4, 14}};
    for (int i = 0; i < 4; ++i) l.conv_transpose(g[i][0], g[i][1], g[i][2], g[i][3], b, 1, 1, i == 0 ? 0 : 1);
    // {in channels, out channels, kernel, output side}
    const Index d[][4] = {{1, 64, 4, 14}, {64, 128, 4, 7}, {128, 256, 4, 3}, {256, 1, 3, 1}};
    for (int i = 0; i < 4; ++i) l.conv(d[i][0], d[i][1], d[i][2], d[i][3], b, 3, 2, i == 0 ? 1 : 3);
  }
  return l;
}

/// Median seconds of one product of this shape through ganpp's own GEMM path (detail::Gemm, the one the
/// layers use), on random data, with the current thread count.
double time_gemm(const GemmShape& g) {
  using Matrix = Eigen::MatrixXf;
  const Matrix a = g.trans_a ? Matrix::Random(g.k, g.m) : Matrix::Random(g.m, g.k);
  const Matrix b = g.trans_b ? Matrix::Random(g.n, g.k) : Matrix::Random(g.k, g.n);
  Matrix c(g.m, g.n);
  ganpp::detail::Gemm<float> gemm;
  const auto op_a = g.trans_a ? ganpp::detail::transposed(a) : ganpp::detail::as_is(a);
  const auto op_b = g.trans_b ? ganpp::detail::transposed(b) : ganpp::detail::as_is(b);
  const double flops = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  const int reps = static_cast<int>(std::clamp(2e9 / std::max(flops, 1.0), 5.0, 2000.0));
  std::vector<double> s;
  for (int r = 0; r < reps + 2; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    gemm.run(c.data(), g.m, g.n, op_a, op_b, true);
    if (r >= 2) s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

/// The GEMM ceilings: GFLOP/s of a 1024^3 product, and of this model's own products each run alone
/// (total FLOPs over the summed best times): what the iteration would reach if nothing but GEMMs ran.
struct Peak {
  double square_gflops, shapes_gflops;
};

Peak gemm_peak(const GemmList& gemms) {
  const double square = time_gemm({1024, 1024, 1024, false, false, 1});
  double seconds = 0;
  for (const auto& g : gemms.items) seconds += time_gemm(g) * g.count;
  return {2.0 * 1024 * 1024 * 1024 / square / 1e9, gemms.flops() / seconds / 1e9};
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

struct Result {
  std::string model;
  int threads;
  Index batch;
  long iters;
  double median_ms, p10_ms, p90_ms, images_per_s, gflops, peak_rss_mb;
  double gflop_per_iter;
  Peak peak{0, 0};
};

/// Times `iteration` warmup + iters times and summarises the last iters: median, 10th and 90th percentiles, images/s,
/// GFLOP/s from `flops` per iteration, peak RSS.
template <typename Iteration>
Result time_iterations(const std::string& model, int threads, Index batch, long iters, long warmup, double flops, Iteration iteration) {
  std::vector<double> ms;
  for (long i = 0; i < warmup + iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    iteration();
    const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i >= warmup) ms.push_back(dt);
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1) + 0.5)]; };
  const double med = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
  return Result{model,         threads,    batch, iters, med, pct(0.1), pct(0.9), static_cast<double>(batch) / (med / 1e3), flops / (med / 1e3) / 1e9,
                peak_rss_mb(), flops / 1e9};
}

/// With `mnist` set, every iteration gathers its real batch from a fresh permutation of MNIST's training images (as
/// ganpp-mnist and the torch peers do); without it, every iteration reuses one random batch.
/// The SRGAN iteration that --model srgan times: ganpp-sr's MNIST models in the adversarial phase, the real batch
/// box-downsampled to 7x7 as the input, MSE content loss + 1e-3 x adversarial loss, Adam 1e-4 (0.9, 0.999).
struct SrganStep {
  ganpp::Generator<float> g;
  ganpp::Discriminator<float> d;
  ganpp::Adam<float> g_opt, d_opt;
  ganpp::SrTrainer<float> trainer;
  ganpp::Tensor<float> low;
  SrganStep()
      : g(ganpp::srresnet_generator<float>({1, kSrChannels, kSrBlocks, 4, true}), ganpp::Shape{1, 7, 7}),
        d(ganpp::srgan_discriminator<float>({1, 28, kSrDChannels, 2, 256}), ganpp::Shape{1, 28, 28}), g_opt(g.parameters(), {1e-4, 0.9, 0.999}),
        d_opt(d.parameters(), {1e-4, 0.9, 0.999}), trainer(g, g_opt, options()) {
    g.reset_parameters(ganpp::Init::torch_default, 1);
    d.reset_parameters(ganpp::Init::torch_default, 2);
    trainer.set_adversary(d, d_opt);
  }
  static ganpp::SrTrainerOptions options() {
    ganpp::SrTrainerOptions o;
    o.pretrain_steps = 0;
    return o;
  }
  const ganpp::Shape& input_shape() const { return d.input_shape(); }
  void step(const ganpp::Tensor<float>& real) {
    ganpp::box_downsample(real, 4, low);
    trainer.step(low, real);
  }
};

/// A GAN iteration through GanTrainer.
template <typename G, typename D>
struct GanStep {
  G g;
  D d;
  ganpp::Adam<float> g_opt, d_opt;
  ganpp::GanTrainer<float> trainer;
  GanStep(G gen, D dis)
      : g(std::move(gen)), d(std::move(dis)), g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999}),
        trainer(g, d, g_opt, d_opt) {}
  const ganpp::Shape& input_shape() const { return d.input_shape(); }
  void step(const ganpp::Tensor<float>& real) { trainer.step(real); }
};

template <typename Step>
Result run(const std::string& model, Step& it, const ganpp::ImageDataset* mnist, Index batch, int threads, long iters, long warmup,
           bool measure_peak) {
  ganpp::set_num_threads(threads);
  ganpp::Tensor<float> real(it.input_shape().batched(batch));
  ganpp::Rng rng(1);
  rng.fill_uniform(real, -1, 1);
  std::unique_ptr<ganpp::BatchLoader<float>> loader;
  if (mnist) loader = std::make_unique<ganpp::BatchLoader<float>>(*mnist, batch, 1, model == "mlp");
  std::vector<int> labels;
  const GemmList gemms = iteration_gemms(model, batch);
  Result r = time_iterations(model, threads, batch, iters, warmup, gemms.flops(), [&] {
    if (loader && !loader->next(real, labels)) loader->next(real, labels);  // false once per epoch, then a new one starts
    it.step(real);
  });
  if (measure_peak) r.peak = gemm_peak(gemms);
  return r;
}

/// One StyleGanTrainer::step per iteration (ganpp-stylegan's model and recipe, --channels 32), on MNIST padded to
/// 32x32 or one random batch; examples/bench/torch/stylegan_bench.py is its PyTorch peer. The GFLOP/s column is 0:
/// the iteration's products are not listed.
Result run_stylegan(const ganpp::ImageDataset* mnist, Index batch, int threads, long iters, long warmup) {
  ganpp::set_num_threads(threads);
  const ganpp::StyleGanConfig c = stylegan::config(32);
  ganpp::StyleGenerator<float> g(c, 1);
  ganpp::Discriminator<float> d(ganpp::make_style_discriminator<float>(c), ganpp::Shape{1, stylegan::kSide, stylegan::kSide});
  ganpp::Adam<float> g_opt(g.parameters(), {2e-3, 0.0, 0.99}), d_opt(d.parameters(), {2e-3, 0.0, 0.99});
  ganpp::ExponentialMovingAverage<float> ema(g.parameters(), 0.999);
  ganpp::StyleGanTrainer<float> trainer(g, d, g_opt, d_opt);
  trainer.set_ema(&ema);
  ganpp::Tensor<float> batch28(ganpp::Shape{batch, 1, 28, 28}), real;
  ganpp::Rng rng(1);
  rng.fill_uniform(batch28, -1, 1);
  stylegan::pad(batch28, real);
  std::unique_ptr<ganpp::BatchLoader<float>> loader;
  if (mnist) loader = std::make_unique<ganpp::BatchLoader<float>>(*mnist, batch, 1);
  std::vector<int> labels;
  return time_iterations("stylegan", threads, batch, iters, warmup, 0.0, [&] {
    if (loader) {
      if (!loader->next(batch28, labels)) loader->next(batch28, labels);
      stylegan::pad(batch28, real);
    }
    trainer.step(real);
  });
}

/// One translation iteration: ganpp-pix2pix's or ganpp-cyclegan's models and trainer step at their defaults (ngf 32,
/// CycleGAN 6 blocks; Adam 2e-4, betas 0.5, 0.999), on one random batch of 32x32 edge maps (binary, about a fifth
/// set) and items in [-1, 1]: the data's values do not change the work. torch-bench --model pix2pix | cyclegan is its
/// libtorch peer. The GFLOP/s column is 0: the iteration's products are not listed.
Result run_translation(const std::string& model, Index batch, int threads, long iters, long warmup) {
  ganpp::set_num_threads(threads);
  const auto kind = model == "pix2pix" ? translation_app::Kind::pix2pix : translation_app::Kind::cyclegan;
  translation_app::Models m = translation_app::build_models(kind, {});
  const ganpp::AdamOptions adam{2e-4, 0.5, 0.999};
  ganpp::Adam<float> g_opt(m.g->parameters(), adam), d_opt(m.d->parameters(), adam);
  ganpp::Tensor<float> edges(ganpp::Shape{batch, 1, 32, 32}), items(ganpp::Shape{batch, 1, 32, 32});
  ganpp::Rng rng(1);
  rng.fill_uniform(edges, 0, 1);
  for (float& v : edges) v = v > 0.8f ? 1.0f : -1.0f;
  rng.fill_uniform(items, -1, 1);
  if (kind == translation_app::Kind::pix2pix) {
    ganpp::Pix2PixTrainer<float> trainer(*m.g, *m.d, g_opt, d_opt);
    return time_iterations(model, threads, batch, iters, warmup, 0.0, [&] { trainer.step(edges, items); });
  }
  ganpp::Adam<float> g_back_opt(m.g_back->parameters(), adam), d_back_opt(m.d_back->parameters(), adam);
  ganpp::CycleGanTrainer<float> trainer(*m.g, *m.g_back, *m.d_back, *m.d, g_opt, g_back_opt, d_back_opt, d_opt);
  return time_iterations(model, threads, batch, iters, warmup, 0.0, [&] { trainer.step(edges, items); });
}

struct Options {
  std::string model = "all", data;
  Index batch = 0;  // 0: 16 for srgan, pix2pix and cyclegan, else 64
  std::vector<int> threads{ganpp::num_threads()};
  long iters = 50, warmup = 5;
  bool json = false, peak = false;
};

void print_header(const Options& o) {
  std::printf("%-6s %7s %5s %6s %10s %9s %9s %9s %8s %8s", "model", "threads", "batch", "iters", "median ms", "p10 ms", "p90 ms", "images/s",
              "GFLOP/s", "RSS MB");
  if (o.peak) std::printf(" %12s %12s %10s", "peak 1024^3", "peak shapes", "of shapes");
  std::printf("\n");
}

void print_result(const Options& o, const Result& r) {
  if (o.json) {
    using examples::rounded;
    nlohmann::ordered_json j{{"model", r.model},
                             {"impl", "ganpp"},
                             {"threads", r.threads},
                             {"batch", r.batch},
                             {"iters", r.iters},
                             {"ms_per_iter_median", rounded(r.median_ms, 3)},
                             {"ms_p10", rounded(r.p10_ms, 3)},
                             {"ms_p90", rounded(r.p90_ms, 3)},
                             {"images_per_s", rounded(r.images_per_s, 1)},
                             {"gflop_per_iter", rounded(r.gflop_per_iter, 3)},
                             {"gflops", rounded(r.gflops, 1)},
                             {"peak_rss_mb", rounded(r.peak_rss_mb, 1)}};
    if (o.peak) {
      j["gemm_peak_gflops"] = rounded(r.peak.square_gflops, 1);
      j["shapes_peak_gflops"] = rounded(r.peak.shapes_gflops, 1);
      j["share_of_shapes_peak"] = rounded(r.gflops / r.peak.shapes_gflops, 3);
    }
    examples::print_json(j);
    return;
  }
  std::printf("%-6s %7d %5ld %6ld %10.2f %9.2f %9.2f %9.0f %8.1f %8.1f", r.model.c_str(), r.threads, static_cast<long>(r.batch), r.iters, r.median_ms,
              r.p10_ms, r.p90_ms, r.images_per_s, r.gflops, r.peak_rss_mb);
  if (o.peak) std::printf(" %12.1f %12.1f %9.0f%%", r.peak.square_gflops, r.peak.shapes_gflops, 100.0 * r.gflops / r.peak.shapes_gflops);
  std::printf("\n");
  std::fflush(stdout);
}

int bench(const Options& o) {
  if (o.peak && (o.model == "stylegan" || o.model == "pix2pix" || o.model == "cyclegan"))
    throw examples::UsageError("--peak does not apply to --model " + o.model + " (its products are not listed)");
  std::unique_ptr<ganpp::ImageDataset> train_set;
  if (!o.data.empty()) {
    train_set = std::make_unique<ganpp::ImageDataset>(ganpp::load_mnist(o.data, true));
    if (train_set->count < std::max<Index>(o.batch, 64))
      throw examples::UsageError("--batch " + std::to_string(o.batch) + " is larger than the data set");
  }
  const std::vector<std::string> models = o.model == "all" ? std::vector<std::string>{"mlp", "dcgan", "srgan"} : std::vector<std::string>{o.model};
  if (!o.json) print_header(o);
  for (int t : o.threads)
    for (const auto& m : models) {
      const Index batch = o.batch > 0 ? o.batch : (m == "srgan" || m == "pix2pix" || m == "cyclegan") ? 16 : 64;
      if (m == "srgan") {
        SrganStep it;
        print_result(o, run(m, it, train_set.get(), batch, t, o.iters, o.warmup, o.peak));
      } else if (m == "stylegan") {
        print_result(o, run_stylegan(train_set.get(), batch, t, o.iters, o.warmup));
      } else if (m == "pix2pix" || m == "cyclegan") {
        print_result(o, run_translation(m, batch, t, o.iters, o.warmup));
      } else if (m == "mlp") {
        GanStep it(mnist::mlp_generator<float>(), mnist::mlp_discriminator<float>());
        print_result(o, run(m, it, train_set.get(), batch, t, o.iters, o.warmup, o.peak));
      } else {
        GanStep it(mnist::dcgan_generator<float>(), mnist::dcgan_discriminator<float>());
        print_result(o, run(m, it, train_set.get(), batch, t, o.iters, o.warmup, o.peak));
      }
    }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  examples::App app("ganpp-bench",
                    "Times full training iterations (one D step and one G step, Adam, non-saturating loss), each on a real batch gathered\n"
                    "from MNIST's training images with --data (the folder ganpp-mnist uses), else on one random batch, and prints the\n"
                    "median and the 10th/90th percentiles of ms per iteration, images/s, GFLOP/s (the iteration's matrix-product FLOPs\n"
                    "over the median time) and peak RSS.");
  app.add_option("--model", o.model,
                 "mlp | dcgan | srgan (ganpp-sr's MNIST SRGAN iteration: content + adversarial) | stylegan (ganpp-stylegan's model "
                 "and StyleGanTrainer step, on 32x32) | pix2pix | cyclegan (ganpp-pix2pix's and ganpp-cyclegan's models and trainer "
                 "step, on 32x32) | all (mlp, dcgan, srgan)")
      ->check(CLI::IsMember({"mlp", "dcgan", "srgan", "stylegan", "pix2pix", "cyclegan", "all"}));
  app.add_option("--data", o.data, "MNIST folder to gather the real batches from (default: one random batch)");
  app.add_option("--batch", o.batch, "batch size (default 64; 16 for srgan, pix2pix and cyclegan)")
      ->check(examples::integer_at_least(1))
      ->default_str("64 | 16");
  app.add_option("--threads", o.threads, "thread counts to time, comma-separated (default: the machine's cores)")
      ->delimiter(',')
      ->check(examples::integer_at_least(1, 1024))
      ->default_str("cores");
  app.add_option("--iters", o.iters, "timed iterations")->check(examples::integer_at_least(1));
  app.add_option("--warmup", o.warmup, "untimed iterations first")->check(examples::integer_at_least(1));
  app.add_flag("--peak", o.peak,
               "also measure the GEMM ceilings with the same build: a 1024^3 product, and the model's own products each timed\n"
               "alone (GFLOP/s if the iteration were nothing but GEMMs), and the share of the latter the iteration reaches");
  examples::add_json_flag(app, o.json)->description("print one JSON line per measurement instead of the table");
  return examples::run_cli(app, argc, argv, [&] { return bench(o); });
}
