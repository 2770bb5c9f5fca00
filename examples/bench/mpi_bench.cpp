// SPDX-License-Identifier: MIT
// ganpp-mpi-bench: the figures of docs/distributed.md. Run under mpiexec.
//   allreduce [REPS]                  time of one in-place MPI_Allreduce of each reference model's gradients
//   parts MODEL [REPS]                one thread's time for the per-update work that does not shrink with more ranks:
//                                     packing and unpacking the gradients, scaling them in place, Adam, zero_grad
//   train MODEL STEPS [BATCH] [sync] [--in-place-threshold N]
//                                     data-parallel training throughput on synthetic 28 x 28 images (global BATCH);
//                                     gradient tensors of N elements or more are allreduced in place, the rest packed
#include <ganpp/data/dataset.hpp>
#include <ganpp/distributed.hpp>
#include <ganpp/ganpp.hpp>

#include "../mnist/mnist_models.hpp"
#include "common/cli.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using ganpp::Index;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Index gradient_size(ganpp::Model<float>& m) {
  Index n = 0;
  for (auto& p : m.parameters()) n += p.value->size();
  return n;
}

// Median time of `reps` in-place allreduces of n floats (after 3 warm-up calls), the slowest rank's view.
double allreduce_seconds(const ganpp::Communicator& comm, Index n, int reps) {
  std::vector<float> buf(static_cast<std::size_t>(n), 1.0f);
  std::vector<double> times;
  for (int r = 0; r < reps + 3; ++r) {
    comm.barrier();
    const auto t = Clock::now();
    comm.allreduce_sum(buf.data(), n);
    double s = seconds_since(t);
    MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_MAX, comm.handle());
    if (r >= 3) times.push_back(s);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int allreduce(const ganpp::Communicator& comm, int reps) {
  struct Item {
    const char* name;
    Index n;
  };
  auto mg = mnist::mlp_generator<float>();
  auto md = mnist::mlp_discriminator<float>();
  auto dg = mnist::dcgan_generator<float>();
  auto dd = mnist::dcgan_discriminator<float>();
  const Item items[] = {{"mlp G", gradient_size(mg)}, {"mlp D", gradient_size(md)}, {"dcgan G", gradient_size(dg)}, {"dcgan D", gradient_size(dd)}};
  if (comm.is_root())
    std::printf("%d ranks, %d repetitions, median of the slowest rank\n%-8s %10s %10s %12s %12s\n", comm.size(), reps, "model", "floats", "ms",
                "algbw GB/s", "busbw GB/s");
  for (const Item& it : items) {
    const double s = allreduce_seconds(comm, it.n, reps);
    const double bytes = 4.0 * static_cast<double>(it.n);
    const double w = comm.size();
    if (comm.is_root())
      std::printf("%-8s %10lld %10.3f %12.2f %12.2f\n", it.name, static_cast<long long>(it.n), 1e3 * s, bytes / s / 1e9,
                  2.0 * (w - 1) / w * bytes / s / 1e9);
  }
  return 0;
}

// The replicated per-step work of a data-parallel step of MODEL (both models' gradients): each part's median and
// minimum over `reps` repetitions on this rank, one thread. Under load the minimum is the better estimate.
int parts(const ganpp::Communicator& comm, const std::string& model, int reps) {
  const bool mlp = model == "mlp";
  auto g = mlp ? mnist::mlp_generator<float>() : mnist::dcgan_generator<float>();
  auto d = mlp ? mnist::mlp_discriminator<float>() : mnist::dcgan_discriminator<float>();
  g.reset_parameters(ganpp::Init::torch_default, 1);  // as train() does: the values Adam sees in training
  d.reset_parameters(ganpp::Init::torch_default, 2);
  ganpp::Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999});
  std::vector<ganpp::Parameter<float>> ps = g.parameters();
  for (auto& p : d.parameters()) ps.push_back(p);
  Index total = 0;
  for (auto& p : ps) total += p.grad->size();
  std::vector<float> pack(static_cast<std::size_t>(total));
  auto fill = [&] {
    for (auto& p : ps)
      for (Index i = 0; i < p.grad->size(); ++i) (*p.grad)[i] = 1e-3f * static_cast<float>(i % 7);
  };
  struct Part {
    const char* name;
    std::vector<double> s;
  };
  Part pk{"pack (copy into one buffer)", {}}, up{"unpack dividing by W", {}}, sc{"scale in place by 1/W", {}}, ad{"Adam step, G and D", {}},
      zg{"zero_grad, G and D", {}};
  const float w = static_cast<float>(comm.size());
  for (int r = 0; r < reps; ++r) {
    fill();
    auto t = Clock::now();
    float* out = pack.data();
    for (auto& p : ps) out = std::copy(p.grad->data(), p.grad->data() + p.grad->size(), out);
    pk.s.push_back(seconds_since(t));
    t = Clock::now();
    const float* in = pack.data();
    for (auto& p : ps) {
      float* gr = p.grad->data();
      for (Index i = 0; i < p.grad->size(); ++i) gr[i] = in[i] / w;
      in += p.grad->size();
    }
    up.s.push_back(seconds_since(t));
    t = Clock::now();
    for (auto& p : ps) p.grad->array() *= 1.0f / w;
    sc.s.push_back(seconds_since(t));
    t = Clock::now();
    g_opt.step();
    d_opt.step();
    ad.s.push_back(seconds_since(t));
    t = Clock::now();
    g_opt.zero_grad();
    d_opt.zero_grad();
    zg.s.push_back(seconds_since(t));
  }
  if (comm.is_root()) {
    std::printf("%s: %lld gradient floats (G and D), %d threads, %d repetitions: ms median (minimum)\n", model.c_str(), static_cast<long long>(total),
                ganpp::num_threads(), reps);
    for (Part* p : {&pk, &up, &sc, &ad, &zg}) {
      std::sort(p->s.begin(), p->s.end());
      std::printf("  %-30s %8.3f (%.3f)\n", p->name, 1e3 * p->s[p->s.size() / 2], 1e3 * p->s.front());
    }
  }
  return 0;
}

int train(const ganpp::Communicator& comm, const std::string& model, int steps, Index batch, bool sync, Index threshold) {
  ganpp::ImageDataset ds;
  ds.count = std::max<Index>(batch * 8, 512);
  ds.height = ds.width = 28;
  ds.pixels.resize(static_cast<std::size_t>(ds.count * 784));
  ganpp::Rng rng(5);
  for (auto& p : ds.pixels) p = static_cast<std::uint8_t>(rng.below(256));
  const bool mlp = model == "mlp";
  auto g = mlp ? mnist::mlp_generator<float>() : mnist::dcgan_generator<float>();
  auto d = mlp ? mnist::mlp_discriminator<float>() : mnist::dcgan_discriminator<float>();
  g.reset_parameters(ganpp::Init::torch_default, 1);
  d.reset_parameters(ganpp::Init::torch_default, 2);
  ganpp::Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999});
  ganpp::GanTrainer<float> trainer(g, d, g_opt, d_opt);
  ganpp::DataParallel<float> dp(comm, {g, d, g_opt, d_opt, trainer}, sync ? ganpp::BatchNormSync::synchronized : ganpp::BatchNormSync::local);
  dp.set_in_place_threshold(threshold);
  ganpp::BatchLoader<float> loader(ds, batch, 3, mlp);
  ganpp::Tensor<float> x;
  std::vector<int> labels;
  auto one = [&] {
    while (!loader.next(x, labels)) {
    }
    dp.step(x);
  };
  for (int i = 0; i < 3; ++i) one();  // warm-up: buffers grow to their size
  comm.barrier();
  const double comm_before = dp.allreduce_seconds();
  const auto t = Clock::now();
  for (int i = 0; i < steps; ++i) one();
  comm.barrier();
  const double s = seconds_since(t);
  const double in_allreduce = dp.allreduce_seconds() - comm_before;
  if (comm.is_root())
    std::printf(
        "%s%s: %d ranks x %d threads, global batch %lld, in-place threshold %lld: %.2f ms/step, %.0f img/s, %.2f ms/step (%.1f%%) in the gradient "
        "allreduces\n",
        model.c_str(), sync ? " (SyncBatchNorm)" : "", comm.size(), ganpp::num_threads(), static_cast<long long>(batch),
        static_cast<long long>(threshold), 1e3 * s / steps, static_cast<double>(batch) * steps / s, 1e3 * in_allreduce / steps,
        100 * in_allreduce / s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ganpp::MpiSession mpi(argc, argv);
  const ganpp::Communicator comm = ganpp::Communicator::world();
  examples::App app("ganpp-mpi-bench", "The single-machine figures of docs/distributed.md; run it under mpiexec.");
  app.require_subcommand(1);
  int reps = 50, steps = 0;
  long batch = 64, threshold = ganpp::DataParallel<float>::kDefaultInPlaceThreshold;
  std::string model, batch_norm;
  CLI::App* allreduce_cmd = app.add_subcommand("allreduce", "time of one in-place MPI_Allreduce of each reference model's gradients");
  allreduce_cmd->add_option("reps", reps, "repetitions")->check(examples::integer_at_least(1));
  CLI::App* parts_cmd = app.add_subcommand("parts", "one thread's time for the per-update work that does not shrink with more ranks");
  parts_cmd->add_option("model", model, "mlp | dcgan")->required()->check(CLI::IsMember({"mlp", "dcgan"}));
  parts_cmd->add_option("reps", reps, "repetitions")->check(examples::integer_at_least(1));
  CLI::App* train_cmd = app.add_subcommand("train", "data-parallel training throughput on synthetic 28 x 28 images");
  train_cmd->add_option("model", model, "mlp | dcgan")->required()->check(CLI::IsMember({"mlp", "dcgan"}));
  train_cmd->add_option("steps", steps, "steps to time")->required()->check(examples::integer_at_least(1));
  train_cmd->add_option("batch", batch, "global batch")->check(examples::integer_at_least(1));
  train_cmd->add_option("batch_norm", batch_norm, "sync for SyncBatchNorm, else local statistics")->check(CLI::IsMember({"sync"}));
  train_cmd
      ->add_option("--in-place-threshold", threshold,
                   "gradient tensors of this many elements or more are allreduced in place, smaller ones packed (a huge value packs everything into "
                   "one allreduce)")
      ->check(examples::integer_at_least(1));
  return examples::run_cli(app, argc, argv, [&] {
    return ganpp::run_or_abort(comm, [&] {
      if (allreduce_cmd->parsed()) return allreduce(comm, reps);
      if (parts_cmd->parsed()) return parts(comm, model, reps);
      return train(comm, model, steps, batch, batch_norm == "sync", threshold);
    });
  });
}
