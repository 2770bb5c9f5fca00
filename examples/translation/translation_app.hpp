// SPDX-License-Identifier: MIT
// ganpp-pix2pix and ganpp-cyclegan: Fashion-MNIST edges -> item translation (docs/translation.md). Both programs are
// this file with a different model; each trains, writes per-epoch grids of (input | output | target), report.html,
// a checkpoint (--resume continues it bit for bit), and outputs.idx3-ubyte / inputs.idx3-ubyte on the 10,000 test
// items; --translate IN.png --out OUT.png applies a trained checkpoint to one image.
#pragma once

#include <ganpp/checkpoint.hpp>
#include <ganpp/data/fashion.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/io/png.hpp>
#include <ganpp/translation.hpp>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "common/cli.hpp"
#include "common/output.hpp"
#include "common/pixels.hpp"
#include "common/progress.hpp"
#include "common/report.hpp"
#include "translation/translation_models.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace translation_app {

using ganpp::Index;
using ganpp::Shape;
using ganpp::Tensor;

struct Options {
  std::string data, out, resume, translate, checkpoint;
  long epochs = 4, batch = 16, limit = 0, ngf = 32, blocks = 6;
  double minutes = 0, lr = 2e-4;
  bool l1_only = false, reverse = false, edges = false;
  std::uint64_t seed = 0;
  int threads = 1;
};

inline Models build(Kind kind, const Options& o) { return build_models(kind, {o.ngf, o.blocks, o.l1_only, o.seed}); }

// Images [first, first + n) of `ds` (32x32 bytes) at positions `order` into a (n, 1, 32, 32) batch in [-1, 1].
inline void gather(const ganpp::ImageDataset& ds, const std::vector<Index>& order, Index first, Index n, Tensor<float>& out) {
  out.resize(Shape{n, 1, ds.height, ds.width});
  for (Index i = 0; i < n; ++i)
    examples::from_pixels(ds.pixels.data() + order[static_cast<std::size_t>(first + i)] * ds.image_size(), ds.image_size(),
                          out.data() + i * ds.image_size());
}

// The 28x28 middle of each 32x32 output, as bytes appended to `out`.
inline void crop_to_bytes(const Tensor<float>& images, std::vector<std::uint8_t>& out) {
  std::vector<std::uint8_t> all;
  examples::to_pixels(images, all);
  for (Index i = 0; i < images.batch(); ++i)
    for (Index y = 2; y < 30; ++y)
      for (Index x = 2; x < 30; ++x) out.push_back(all[static_cast<std::size_t>(i * 1024 + y * 32 + x)]);
}

// Runs a generator over a whole data set in eval mode, batch by batch; the bytes are 28x28, in data-set order.
inline std::vector<std::uint8_t> translate_all(ganpp::ImageGenerator<float>& g, const ganpp::ImageDataset& ds) {
  g.eval();
  std::vector<std::uint8_t> out;
  std::vector<Index> order(static_cast<std::size_t>(ds.count));
  std::iota(order.begin(), order.end(), Index{0});
  Tensor<float> x;
  for (Index first = 0; first < ds.count; first += 100) {
    const Index n = std::min<Index>(100, ds.count - first);
    gather(ds, order, first, n, x);
    crop_to_bytes(g.forward(x), out);
  }
  g.train();
  return out;
}

// A grid of 8 rows of (input | output | target), 32x32 each.
inline std::vector<std::uint8_t> triplet_grid(ganpp::ImageGenerator<float>& g, const ganpp::ImageDataset& in, const ganpp::ImageDataset& target) {
  std::vector<Index> first8{0, 1, 2, 3, 4, 5, 6, 7};
  Tensor<float> x, y;
  gather(in, first8, 0, 8, x);
  gather(target, first8, 0, 8, y);
  g.eval();
  const Tensor<float> out = g.forward(x);
  g.train();
  std::vector<std::uint8_t> px[3];
  examples::to_pixels(x, px[0]);
  examples::to_pixels(out, px[1]);
  examples::to_pixels(y, px[2]);
  std::vector<std::uint8_t> grid(static_cast<std::size_t>(8 * 32 * 96));
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 3; ++c)
      for (int yy = 0; yy < 32; ++yy)
        for (int xx = 0; xx < 32; ++xx)
          grid[static_cast<std::size_t>((r * 32 + yy) * 96 + c * 32 + xx)] = px[c][static_cast<std::size_t>(r * 1024 + yy * 32 + xx)];
  return ganpp::encode_png(96, 256, 1, grid.data());
}

inline void save_options(ganpp::Checkpoint& c, const Options& o) {
  c.put_text("app.ngf", std::to_string(o.ngf));
  c.put_text("app.blocks", std::to_string(o.blocks));
  c.put_text("app.l1_only", o.l1_only ? "1" : "0");
  c.put_text("app.seed", std::to_string(o.seed));
}
inline long read_long(const ganpp::Checkpoint& c, const std::string& name, long lo, long hi) {
  const std::string t = c.text(name);
  try {
    std::size_t used = 0;
    const long v = std::stol(t, &used);
    if (used == t.size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {
  }
  throw ganpp::io_error("checkpoint entry " + name + " is '" + t.substr(0, 20) + "': expected an integer from " + std::to_string(lo) + " to " +
                        std::to_string(hi));
}
inline void load_options(const ganpp::Checkpoint& c, Options& o) {
  o.ngf = read_long(c, "app.ngf", 1, 1024);
  o.blocks = read_long(c, "app.blocks", 0, 64);
  o.l1_only = c.text("app.l1_only") == "1";
  o.seed = static_cast<std::uint64_t>(read_long(c, "app.seed", 0, (1L << 53)));
}

// --translate IN.png --out OUT.png
inline int translate_one(Kind kind, Options o, const std::string& program) {
  if (o.out.empty()) throw examples::UsageError("--translate needs --out OUT.png");
  if (o.checkpoint.empty()) throw examples::UsageError("--translate needs --checkpoint FILE (a run's checkpoint.ganpp)");
  const ganpp::Checkpoint c = ganpp::Checkpoint::load(o.checkpoint);
  const std::string want = kind == Kind::pix2pix ? "pix2pix" : "cyclegan";
  const std::string k = c.text("trainer.kind");
  if (k.rfind(want, 0) != 0) throw ganpp::io_error("'" + o.checkpoint + "' is a checkpoint of a " + k + " run, not of " + program);
  load_options(c, o);
  Models m = build(kind, o);
  ganpp::ImageGenerator<float>& g = (kind == Kind::cyclegan && o.reverse) ? *m.g_back : *m.g;
  ganpp::load_model(c, kind == Kind::pix2pix ? "generator" : (o.reverse ? "generator_ba" : "generator_ab"), g);
  int w = 0, h = 0, ch = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> px(stbi_load(o.translate.c_str(), &w, &h, &ch, 1), stbi_image_free);
  if (!px) throw ganpp::io_error("cannot read '" + o.translate + "' as a PNG image: " + std::string(stbi_failure_reason()));
  if (!((w == 28 && h == 28) || (w == 32 && h == 32)))
    throw ganpp::io_error("'" + o.translate + "' is " + std::to_string(w) + "x" + std::to_string(h) + ": expected a 28x28 or 32x32 image");
  ganpp::ImageDataset ds;
  ds.count = 1, ds.height = h, ds.width = w;
  ds.pixels.assign(px.get(), px.get() + w * h);
  if (w == 28) ds = ganpp::pad_images(ds);
  if (o.edges) ds = ganpp::sobel_edges(ds);
  const std::vector<std::uint8_t> out = translate_all(g, ds);  // 28x28
  if (w == 28) {
    ganpp::write_png(o.out, 28, 28, 1, out.data());
  } else {
    Tensor<float> x;
    gather(ds, {0}, 0, 1, x);
    g.eval();
    std::vector<std::uint8_t> full;
    examples::to_pixels(g.forward(x), full);
    ganpp::write_png(o.out, 32, 32, 1, full.data());
  }
  std::printf("%s: wrote %s\n", program.c_str(), o.out.c_str());
  return 0;
}

inline int run(Kind kind, int argc, char** argv) {
  const std::string program = kind == Kind::pix2pix ? "ganpp-pix2pix" : "ganpp-cyclegan";
  examples::App app(program, kind == Kind::pix2pix ? "pix2pix on Fashion-MNIST: edge map -> item (paired)"
                                                   : "CycleGAN on Fashion-MNIST: edge maps <-> items (unpaired)");
  Options o;
  o.data = "data/fashion";
  app.add_option("--data", o.data,
                 "folder with the four Fashion-MNIST IDX files (cmake -DFASHION_DIR=data/fashion -P cmake/FetchFashionMNIST.cmake)");
  app.add_option("--epochs", o.epochs, "epochs (the learning rate is constant for the first half, then decays linearly to 0)")
      ->check(examples::integer_at_least(1));
  app.add_option("--minutes", o.minutes, "stop training after this wall-clock budget (0: none)")->check(examples::number_above(0));
  app.add_option("--batch", o.batch, "batch size")->check(examples::integer_at_least(1, 4096));
  app.add_option("--limit", o.limit, "use only the first N training items (0: all)")->check(examples::integer_at_least(0));
  app.add_option("--ngf", o.ngf, "filters of the first layer of each network")->check(examples::integer_at_least(1, 1024));
  if (kind == Kind::cyclegan)
    app.add_option("--blocks", o.blocks, "residual blocks of the ResNet generators")->check(examples::integer_at_least(0, 64));
  app.add_option("--lr", o.lr, "Adam learning rate (betas 0.5, 0.999)")->check(examples::number_above(0, true));
  if (kind == Kind::pix2pix) app.add_flag("--l1-only", o.l1_only, "the baseline: the U-Net trained on L1 alone, no discriminator");
  examples::add_seed_option(app, o.seed, "the initial weights, the shuffling and dropout");
  examples::add_threads_option(app, o.threads);
  app.add_option("--out", o.out, "output folder (default out/" + program.substr(6) + "); with --translate, the output PNG");
  app.add_option("--resume", o.resume, "continue the run of this checkpoint (its options win)");
  app.add_option("--translate", o.translate, "translate this PNG (28x28 or 32x32 grey) with --checkpoint, into --out");
  app.add_option("--checkpoint", o.checkpoint, "the checkpoint --translate uses");
  app.add_flag("--edges", o.edges, "with --translate: take the Sobel edge map of the image first (give it an item picture)");
  if (kind == Kind::cyclegan) app.add_flag("--reverse", o.reverse, "with --translate: item -> edges (G_BA)");
  return examples::run_cli(app, argc, argv, [&]() -> int {
    ganpp::set_num_threads(o.threads);
    if (!o.translate.empty()) return translate_one(kind, o, program);
    if (o.out.empty()) o.out = "out/" + program.substr(6);
    std::unique_ptr<ganpp::Checkpoint> resumed;
    if (!o.resume.empty()) {
      resumed = std::make_unique<ganpp::Checkpoint>(ganpp::Checkpoint::load(o.resume));
      load_options(*resumed, o);
    }
    examples::make_output_folder(o.out);
    ganpp::ImageDataset train_items = ganpp::pad_images(ganpp::load_fashion_mnist(o.data, true));
    const ganpp::ImageDataset test_items = ganpp::pad_images(ganpp::load_fashion_mnist(o.data, false));
    if (o.limit > 0 && o.limit < train_items.count) {
      train_items.count = o.limit;
      train_items.pixels.resize(static_cast<std::size_t>(o.limit * train_items.image_size()));
      train_items.labels.resize(static_cast<std::size_t>(o.limit));
    }
    const ganpp::ImageDataset train_edges = ganpp::sobel_edges(train_items), test_edges = ganpp::sobel_edges(test_items);

    Models m = build(kind, o);
    const ganpp::AdamOptions adam{o.lr, 0.5, 0.999};
    std::vector<std::unique_ptr<ganpp::Adam<float>>> opts;
    for (auto* model : std::initializer_list<ganpp::Model<float>*>{m.g.get(), m.g_back.get(), m.d.get(), m.d_back.get()})
      opts.push_back(model ? std::make_unique<ganpp::Adam<float>>(model->parameters(), adam) : nullptr);
    std::unique_ptr<ganpp::Pix2PixTrainer<float>> p2p;
    std::unique_ptr<ganpp::CycleGanTrainer<float>> cyc;
    if (kind == Kind::pix2pix) {
      p2p = o.l1_only ? std::make_unique<ganpp::Pix2PixTrainer<float>>(*m.g, *opts[0])
                      : std::make_unique<ganpp::Pix2PixTrainer<float>>(*m.g, *m.d, *opts[0], *opts[2]);
    } else {
      cyc = std::make_unique<ganpp::CycleGanTrainer<float>>(*m.g, *m.g_back, *m.d_back, *m.d, *opts[0], *opts[1], *opts[3], *opts[2]);
    }
    // Unpaired for CycleGAN: edges from the first half of the training set, items from the second.
    const Index n_pool = kind == Kind::pix2pix ? train_items.count : train_items.count / 2;
    const Index per_epoch = n_pool / o.batch;
    if (per_epoch < 1)
      throw examples::UsageError("--batch " + std::to_string(o.batch) + " is larger than the " + std::to_string(n_pool) + " training pairs");
    std::vector<ganpp::LrScheduler<float>> scheds;
    for (auto& opt : opts)
      if (opt)
        scheds.emplace_back(*opt, o.epochs > 1 ? ganpp::LrSchedule::linear_decay((o.epochs + 1) / 2, o.epochs / 2) : ganpp::LrSchedule::constant(),
                            per_epoch);
    long epoch = 0, batch_in_epoch = 0;
    std::vector<examples::LossRow> rows;
    if (resumed) {
      if (p2p) p2p->load(*resumed);
      else cyc->load(*resumed);
      epoch = read_long(*resumed, "app.epoch", 0, o.epochs);
      batch_in_epoch = read_long(*resumed, "app.batch", 0, per_epoch);
    }
    const std::string ckpt_path = (std::filesystem::path(o.out) / "checkpoint.ganpp").string();
    auto save = [&] {
      ganpp::Checkpoint c;
      if (p2p) p2p->save(c);
      else cyc->save(c);
      save_options(c, o);
      c.put_text("app.epoch", std::to_string(epoch));
      c.put_text("app.batch", std::to_string(batch_in_epoch));
      c.save(ckpt_path);
    };
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> grids;
    examples::ProgressLine progress;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    bool out_of_time = false;
    Tensor<float> xa, xb;
    std::vector<Index> order_a(static_cast<std::size_t>(n_pool)), order_b(static_cast<std::size_t>(n_pool));
    for (; epoch < o.epochs && !out_of_time; ++epoch, batch_in_epoch = 0) {
      // The epoch's permutations depend on the seed and the epoch only, so a resumed run sees the same batches.
      ganpp::Rng shuffle(o.seed * 1000003 + static_cast<std::uint64_t>(epoch));
      std::iota(order_a.begin(), order_a.end(), Index{0});
      std::iota(order_b.begin(), order_b.end(), kind == Kind::pix2pix ? Index{0} : n_pool);
      shuffle.shuffle(order_a);
      if (kind == Kind::cyclegan) shuffle.shuffle(order_b);
      for (; batch_in_epoch < per_epoch; ++batch_in_epoch) {
        if (o.minutes > 0 && elapsed() > o.minutes * 60) {
          out_of_time = true;
          break;
        }
        for (auto& s : scheds) s.update();
        gather(train_edges, order_a, batch_in_epoch * o.batch, o.batch, xa);
        gather(train_items, kind == Kind::pix2pix ? order_a : order_b, batch_in_epoch * o.batch, o.batch, xb);
        const ganpp::TranslationStats s = p2p ? p2p->step(xa, xb) : cyc->step(xa, xb);
        rows.push_back({static_cast<long>(s.step), epoch + 1, s.d_loss, s.g_loss, s.d_real, s.d_fake, elapsed()});
        progress.update(false, "epoch %ld/%ld  batch %ld/%ld  d %.3f  g %.3f (adv %.3f rec %.3f idt %.3f)  %s", epoch + 1, o.epochs,
                        batch_in_epoch + 1, static_cast<long>(per_epoch), s.d_loss, s.g_loss, s.g_adversarial, s.reconstruction, s.identity,
                        examples::format_duration(elapsed()).c_str());
      }
      if (out_of_time) break;
      grids.emplace_back("epoch " + std::to_string(epoch + 1), triplet_grid(*m.g, test_edges, test_items));
      examples::write_file((std::filesystem::path(o.out) / ("epoch-" + std::to_string(epoch + 1) + ".png")).string(),
                           std::string(grids.back().second.begin(), grids.back().second.end()));
      ++epoch, batch_in_epoch = 0;
      save();
      --epoch;
    }
    progress.break_line();
    save();
    if (out_of_time) grids.emplace_back("end (time budget)", triplet_grid(*m.g, test_edges, test_items));
    const std::vector<std::uint8_t> outputs = translate_all(*m.g, test_edges);
    std::vector<std::uint8_t> inputs;
    {
      Tensor<float> all;
      std::vector<Index> order(static_cast<std::size_t>(test_edges.count));
      std::iota(order.begin(), order.end(), Index{0});
      gather(test_edges, order, 0, test_edges.count, all);
      crop_to_bytes(all, inputs);
    }
    const std::vector<Index> dims{test_items.count, 28, 28};
    ganpp::write_idx((std::filesystem::path(o.out) / "outputs.idx3-ubyte").string(), dims, outputs.data());
    ganpp::write_idx((std::filesystem::path(o.out) / "inputs.idx3-ubyte").string(), dims, inputs.data());
    if (cyc) {
      const std::vector<std::uint8_t> reverse = translate_all(*m.g_back, test_items);
      ganpp::write_idx((std::filesystem::path(o.out) / "reverse-outputs.idx3-ubyte").string(), dims, reverse.data());
    }
    examples::write_report((std::filesystem::path(o.out) / "report.html").string(), program,
                           "Fashion-MNIST edges -> item, " + std::to_string(rows.size()) + " steps in " + examples::format_duration(elapsed()) +
                               (out_of_time ? " (stopped by the time budget)" : "") + ". Grids: input | output | target on the first 8 test items.",
                           grids, rows);
    std::printf("%s: %zu steps; wrote %s/{outputs,inputs}.idx3-ubyte, report.html, checkpoint.ganpp\n", program.c_str(), rows.size(), o.out.c_str());
    return 0;
  });
}

}  // namespace translation_app
