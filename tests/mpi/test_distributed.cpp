// SPDX-License-Identifier: MIT
// ganpp_mpi_tests: data-parallel training checks, run by ctest through mpiexec (see tests/mpi/CMakeLists.txt).
//
//   equivalence MODEL BN [STEPS]  W ranks and one process, global batch 64, 100 steps: parameters equal within 1e-5
//                          relative; every rank bit-identical after every step (MODEL mlp | dcgan | tiny-mlp |
//                          tiny-dcgan, BN local | sync; the tiny ones are the same architectures 8 times narrower,
//                          for ctest's time budget; scripts/mpi-equivalence.sh runs the real ones)
//   resume DIR [MODEL]     a 2-rank run checkpointed at step 50 and resumed on 1 rank equals the 2-rank run at 100
//   fail kill|throw DIR    checkpoints into DIR every 10 steps; rank 1 dies (SIGKILL) or throws at step 25
//   diverge                rank 1 alone sees a NaN batch at step 5: every rank stops there with divergence_error
//   write-mnist DIR        writes the synthetic images as MNIST IDX files into DIR
//   check DIR              loads DIR/checkpoint.ganpp into fresh models (after a failure test)
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/distributed.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/training_state.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#ifndef GANPP_TEST_SCALAR
#define GANPP_TEST_SCALAR float
#endif

namespace {

using ganpp::Index;
using ganpp::Shape;
using S = GANPP_TEST_SCALAR;
template <typename T>
using Net = ganpp::Sequential<T>;

constexpr Index kLatent = 100, kGlobalBatch = 64;
// The model of the failure, divergence and checkpoint checks, where the model's size does not matter.
const char* const kSmallModel = "tiny-mlp";

// The MNIST example's mlp and dcgan (examples/mnist/mnist_models.hpp), unconditional; "tiny-mlp" and "tiny-dcgan" are
// the same layers with 8 times fewer units and channels (same BatchNorm layers, same shapes in and out).
bool is_mlp(const std::string& model) { return model == "mlp" || model == "tiny-mlp"; }
Index width_divisor(const std::string& model) {
  if (model == "mlp" || model == "dcgan") return 1;
  if (model == "tiny-mlp" || model == "tiny-dcgan") return 8;
  throw ganpp::argument_error("ganpp_mpi_tests: unknown model " + model + ": expected mlp, dcgan, tiny-mlp or tiny-dcgan");
}

ganpp::Generator<S> generator(const std::string& model) {
  const Index k = width_divisor(model);
  Net<S> g;
  if (is_mlp(model)) {
    g.emplace<ganpp::Linear<S>>(kLatent, 256 / k).emplace<ganpp::LeakyReLU<S>>(S(0.2));
    g.emplace<ganpp::Linear<S>>(256 / k, 512 / k).emplace<ganpp::LeakyReLU<S>>(S(0.2));
    g.emplace<ganpp::Linear<S>>(512 / k, 1024 / k).emplace<ganpp::LeakyReLU<S>>(S(0.2));
    g.emplace<ganpp::Linear<S>>(1024 / k, 784).emplace<ganpp::Tanh<S>>();
    return ganpp::Generator<S>(std::move(g), Shape{kLatent});
  }
  auto up = [](Index in, Index out, Index ks, Index s, Index p) { return ganpp::ConvOptions(in, out, ks).with_stride(s).with_padding(p).with_bias(false); };
  g.emplace<ganpp::ConvTranspose2d<S>>(up(kLatent, 256 / k, 4, 1, 0)).emplace<ganpp::BatchNorm<S>>(256 / k).emplace<ganpp::ReLU<S>>();
  g.emplace<ganpp::ConvTranspose2d<S>>(up(256 / k, 128 / k, 3, 2, 1)).emplace<ganpp::BatchNorm<S>>(128 / k).emplace<ganpp::ReLU<S>>();
  g.emplace<ganpp::ConvTranspose2d<S>>(up(128 / k, 64 / k, 4, 2, 1)).emplace<ganpp::BatchNorm<S>>(64 / k).emplace<ganpp::ReLU<S>>();
  g.emplace<ganpp::ConvTranspose2d<S>>(up(64 / k, 1, 4, 2, 1)).emplace<ganpp::Tanh<S>>();
  return ganpp::Generator<S>(std::move(g), Shape{kLatent, 1, 1});
}

ganpp::Discriminator<S> discriminator(const std::string& model) {
  const Index k = width_divisor(model);
  Net<S> d;
  if (is_mlp(model)) {
    d.emplace<ganpp::Linear<S>>(784, 512 / k).emplace<ganpp::LeakyReLU<S>>(S(0.2));
    d.emplace<ganpp::Linear<S>>(512 / k, 256 / k).emplace<ganpp::LeakyReLU<S>>(S(0.2));
    d.emplace<ganpp::Linear<S>>(256 / k, 1);
    return ganpp::Discriminator<S>(std::move(d), Shape{784});
  }
  auto down = [](Index in, Index out, Index ks, Index s, Index p) { return ganpp::ConvOptions(in, out, ks).with_stride(s).with_padding(p).with_bias(false); };
  d.emplace<ganpp::Conv2d<S>>(down(1, 64 / k, 4, 2, 1)).emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.emplace<ganpp::Conv2d<S>>(down(64 / k, 128 / k, 4, 2, 1)).emplace<ganpp::BatchNorm<S>>(128 / k).emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.emplace<ganpp::Conv2d<S>>(down(128 / k, 256 / k, 4, 2, 1)).emplace<ganpp::BatchNorm<S>>(256 / k).emplace<ganpp::LeakyReLU<S>>(S(0.2));
  d.emplace<ganpp::Conv2d<S>>(down(256 / k, 1, 3, 1, 0));
  return ganpp::Discriminator<S>(std::move(d), Shape{1, 28, 28});
}

// 640 synthetic 28 x 28 images: a bright bar whose position varies, plus noise; the same on every rank.
ganpp::ImageDataset synthetic_images() {
  ganpp::ImageDataset ds;
  ds.count = 640;
  ds.height = ds.width = 28;
  ds.pixels.resize(static_cast<std::size_t>(ds.count * 784));
  ganpp::Rng rng(99);
  for (Index i = 0; i < ds.count; ++i)
    for (Index p = 0; p < 784; ++p) {
      const bool bar = (p % 28) / 3 == i % 9;
      ds.pixels[static_cast<std::size_t>(i * 784 + p)] = static_cast<std::uint8_t>(bar ? 200 + rng.below(56) : rng.below(40));
    }
  return ds;
}

/// One GAN run: models, optimizers, trainer and loader, as ganpp-mnist builds them. `init_seed` differs between
/// ranks on purpose in the tests: DataParallel's broadcast must make them rank 0's.
struct Run {
  std::string model;
  ganpp::Generator<S> g;
  ganpp::Discriminator<S> d;
  ganpp::Adam<S> g_opt, d_opt;
  ganpp::GanTrainer<S> trainer;
  const ganpp::ImageDataset& data;
  ganpp::BatchLoader<S> loader;
  ganpp::Tensor<S> batch;
  std::vector<int> labels;

  Run(const std::string& m, const ganpp::ImageDataset& ds, std::uint64_t init_seed)
      : model(m), g(generator(m)), d(discriminator(m)), g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999}),
        trainer(g, d, g_opt, d_opt, options()), data(ds), loader(ds, kGlobalBatch, 7, is_mlp(m)) {
    g.reset_parameters(ganpp::Init::torch_default, init_seed * 2 + 1);
    d.reset_parameters(ganpp::Init::torch_default, init_seed * 2 + 2);
  }
  static ganpp::TrainerOptions options() {
    ganpp::TrainerOptions o;
    o.seed = 3;
    return o;
  }
  ganpp::TrainingState<S> state() { return {g, d, g_opt, d_opt, trainer}; }
  // The next global batch (epochs roll over).
  const ganpp::Tensor<S>& next() {
    while (!loader.next(batch, labels)) {
    }
    return batch;
  }
  void save(const std::string& path) {
    ganpp::Checkpoint c;
    state().save(c);
    c.put_text("loader", loader.state());
    c.save(path);
  }
  void load(const std::string& path) {
    const ganpp::Checkpoint c = ganpp::Checkpoint::load(path);
    state().load(c);
    loader.set_state(c.text("loader"));
  }
};

// |a - b| / |b| over all parameters of a model (and its buffers), and the largest element-wise difference.
struct Diff {
  double relative = 0, max_abs = 0;
};
template <typename M>
Diff compare(M& a, M& b) {
  double num = 0, den = 0, max_abs = 0;
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    for (Index k = 0; k < pa[i].value->size(); ++k) {
      const double x = (*pa[i].value)[k], y = (*pb[i].value)[k];
      num += (x - y) * (x - y);
      den += y * y;
      max_abs = std::max(max_abs, std::abs(x - y));
    }
  return {std::sqrt(num / den), max_abs};
}
template <typename M>
Diff compare_buffers(M& a, M& b) {
  double num = 0, den = 0, max_abs = 0;
  auto pa = a.buffers(), pb = b.buffers();
  for (std::size_t i = 0; i < pa.size(); ++i)
    for (Index k = 0; k < pa[i].value->size(); ++k) {
      const double x = (*pa[i].value)[k], y = (*pb[i].value)[k];
      num += (x - y) * (x - y);
      den += y * y;
      max_abs = std::max(max_abs, std::abs(x - y));
    }
  return {den > 0 ? std::sqrt(num / den) : 0.0, max_abs};
}

bool report(const char* what, const Diff& d, double tolerance) {
  const bool ok = d.relative <= tolerance;
  std::printf("  %-28s relative %.3g, max |diff| %.3g %s\n", what, d.relative, d.max_abs, ok ? "ok" : "FAILED");
  return ok;
}

// Every rank's verdict combined: the test passes only if it passed everywhere.
int verdict(const ganpp::Communicator& comm, bool ok) {
  int failed = ok ? 0 : 1;
  comm.allreduce_sum(&failed, 1);
  if (comm.is_root()) std::printf("%s\n", failed ? "FAILED" : "passed");
  return failed ? 1 : 0;
}

int equivalence(const ganpp::Communicator& comm, const std::string& model, const std::string& bn, int steps) {
  const ganpp::ImageDataset ds = synthetic_images();
  Run dist(model, ds, static_cast<std::uint64_t>(comm.rank()));  // other ranks start from other weights on purpose
  ganpp::DataParallel<S> dp(comm, dist.state(), bn == "sync" ? ganpp::BatchNormSync::synchronized : ganpp::BatchNormSync::local);
  bool ok = true;
  try {
    dp.set_in_place_threshold(0);
    ok = false;
    std::printf("  set_in_place_threshold(0) was accepted: FAILED\n");
  } catch (const ganpp::argument_error&) {
  }
  // The tiny models' gradient tensors are below the default threshold: a lower one makes their weights go through
  // the in-place allreduces and their biases and BatchNorm parameters through the packed one, as the real models'
  // do at the default.
  if (width_divisor(model) > 1) dp.set_in_place_threshold(1024);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) {
    dp.step(dist.next());
    if (!dp.replicas_identical()) {
      if (comm.is_root()) std::printf("  ranks hold different parameters after step %d: FAILED\n", i + 1);
      ok = false;
      break;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (comm.is_root()) {
    std::printf("equivalence %s, BatchNorm %s, %d ranks: %d steps of global batch %lld in %.2f s, parameters bit-identical on every rank after every step: %s\n",
                model.c_str(), bn.c_str(), comm.size(), steps, static_cast<long long>(kGlobalBatch), seconds, ok ? "yes" : "no");
    // The reference: one process, batch 64, plain GanTrainer.
    Run one(model, ds, 0);
    for (int i = 0; i < steps; ++i) one.trainer.step(one.next());
    const double tolerance = 1e-5;
    ok = report("generator parameters", compare(dist.g, one.g), tolerance) && ok;
    ok = report("discriminator parameters", compare(dist.d, one.d), tolerance) && ok;
    if (bn == "sync") {
      ok = report("generator running stats", compare_buffers(dist.g, one.g), tolerance) && ok;
      ok = report("discriminator running stats", compare_buffers(dist.d, one.d), tolerance) && ok;
    }
  }
  return verdict(comm, ok);
}

int resume(const ganpp::Communicator& comm, const std::string& dir, const std::string& model) {
  const ganpp::ImageDataset ds = synthetic_images();
  const std::string path = (std::filesystem::path(dir) / ("resume-" + std::to_string(comm.size()) + ".ganpp")).string();
  if (comm.is_root()) std::filesystem::create_directories(dir);
  Run dist(model, ds, 0);
  {
    ganpp::DataParallel<S> dp(comm, dist.state());
    for (int i = 0; i < 100; ++i) {
      dp.step(dist.next());
      if (i + 1 == 50 && comm.is_root()) dist.save(path);
    }
  }
  bool ok = true;
  if (comm.is_root()) {
    // Rank 0 alone, as a 1-rank job: fresh objects, the step-50 checkpoint, 50 more steps.
    Run resumed(model, ds, 12345);
    resumed.load(path);
    ganpp::DataParallel<S> dp(ganpp::Communicator::self(), resumed.state());
    for (int i = 50; i < 100; ++i) dp.step(resumed.next());
    std::printf("resume: %s, %d-rank run checkpointed at step 50, resumed on 1 rank to step %lld:\n", model.c_str(), comm.size(),
                static_cast<long long>(resumed.trainer.steps()));
    ok = report("generator parameters", compare(resumed.g, dist.g), 1e-5) && ok;
    ok = report("discriminator parameters", compare(resumed.d, dist.d), 1e-5) && ok;
  }
  return verdict(comm, ok);
}

int fail(const ganpp::Communicator& comm, const std::string& how, const std::string& dir) {
  const ganpp::ImageDataset ds = synthetic_images();
  const std::string path = (std::filesystem::path(dir) / "checkpoint.ganpp").string();
  return ganpp::run_or_abort(comm, [&] {
    Run dist(kSmallModel, ds, 0);
    ganpp::DataParallel<S> dp(comm, dist.state());
    for (int i = 0; i < 1000; ++i) {
      if (i == 25 && comm.rank() == 1) {
        // The moment of failure, for the driver script to time the job's end from.
        const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        std::fprintf(stderr, "test: rank 1 fails (%s) at step 26, time %.3f\n", how.c_str(), now);
        std::fflush(stderr);
        if (how == "kill") std::raise(SIGKILL);
        throw ganpp::io_error("test failure injected on rank 1 at step 26");
      }
      dp.step(dist.next());
      if ((i + 1) % 10 == 0 && comm.is_root()) dist.save(path);
    }
    return 0;
  });
}

// Sensitivity of one process's run to a rounding: two runs, the second with every seventh D weight multiplied by
// 1 + NUDGE (environment, e.g. 1e-7 for about a float ulp, 2.2e-16 for a double ulp) after step 1, compared after
// `steps`: how far rounding differences alone carry the training.
int chaos(const std::string& model, int steps) {
  const ganpp::ImageDataset ds = synthetic_images();
  const double nudge = std::getenv("NUDGE") != nullptr ? std::atof(std::getenv("NUDGE")) : 0.0;  // relative size
  // The two runs go one after the other; interleaved they give the same bits too (tests/test_instance_isolation.cpp).
  Run a(model, ds, 0);
  for (int i = 0; i < steps; ++i) a.trainer.step(a.next());
  Run b(model, ds, 0);
  for (int i = 0; i < steps; ++i) {
    b.trainer.step(b.next());
    if (i == 0)
      for (auto& p : b.d.parameters())
        for (Index k = 0; k < p.value->size(); k += 7) (*p.value)[k] *= S(1 + nudge);
  }
  report("generator parameters", compare(a.g, b.g), 1e-5);
  report("discriminator parameters", compare(a.d, b.d), 1e-5);
  return 0;
}

// A non-finite loss on one rank only (rank 1's shard of step 5 is NaN): every rank must stop at that step with
// divergence_error, since the losses are averaged with the gradients.
int diverge(const ganpp::Communicator& comm) {
  const ganpp::ImageDataset ds = synthetic_images();
  Run dist(kSmallModel, ds, 0);
  ganpp::DataParallel<S> dp(comm, dist.state());
  std::int64_t stopped_at = 0;
  for (int i = 0; i < 10 && stopped_at == 0; ++i) {
    ganpp::Tensor<S> batch = dist.next();
    if (i == 4 && comm.rank() == 1) batch.fill(std::numeric_limits<S>::quiet_NaN());
    try {
      dp.step(batch);
    } catch (const ganpp::divergence_error& e) {
      stopped_at = i + 1;
      std::printf("rank %d: divergence_error at step %lld: %s\n", comm.rank(), static_cast<long long>(stopped_at), e.what());
    }
  }
  return verdict(comm, stopped_at == 5);
}

// The synthetic images as MNIST's four IDX files in DIR (labels: the bar's position), for ganpp-mnist under mpiexec.
int write_mnist(const std::string& dir) {
  const ganpp::ImageDataset ds = synthetic_images();
  std::filesystem::create_directories(dir);
  std::vector<std::uint8_t> labels;
  for (Index i = 0; i < ds.count; ++i) labels.push_back(static_cast<std::uint8_t>(i % 9));
  for (const char* set : {"train", "t10k"}) {
    ganpp::write_idx((std::filesystem::path(dir) / (std::string(set) + "-images-idx3-ubyte")).string(), {ds.count, 28, 28}, ds.pixels.data());
    ganpp::write_idx((std::filesystem::path(dir) / (std::string(set) + "-labels-idx1-ubyte")).string(), {ds.count}, labels.data());
  }
  return 0;
}

int check(const std::string& dir) {
  const ganpp::ImageDataset ds = synthetic_images();
  Run run(kSmallModel, ds, 1);
  run.load((std::filesystem::path(dir) / "checkpoint.ganpp").string());
  std::printf("check: the checkpoint loads, step %lld\n", static_cast<long long>(run.trainer.steps()));
  return run.trainer.steps() > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  ganpp::MpiSession mpi(argc, argv);
  const ganpp::Communicator comm = ganpp::Communicator::world();
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "equivalence" && (argc == 4 || argc == 5)) return equivalence(comm, argv[2], argv[3], argc == 5 ? std::atoi(argv[4]) : 100);
    if (mode == "resume" && (argc == 3 || argc == 4)) return resume(comm, argv[2], argc == 4 ? argv[3] : "mlp");
    if (mode == "fail" && argc == 4) return fail(comm, argv[2], argv[3]);
    if (mode == "check" && argc == 3) return check(argv[2]);
    if (mode == "diverge" && argc == 2) return diverge(comm);
    if (mode == "write-mnist" && argc == 3) return write_mnist(argv[2]);
    if (mode == "chaos" && argc == 4) return chaos(argv[2], std::atoi(argv[3]));
  } catch (const std::exception& e) {
    comm.abort(e.what());
  }
  std::fprintf(stderr, "usage: ganpp_mpi_tests equivalence MODEL local|sync [STEPS] | resume DIR [MODEL] | diverge | fail kill|throw DIR | check DIR | write-mnist DIR | chaos MODEL STEPS\n");
  return 2;
}
