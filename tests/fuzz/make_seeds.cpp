// SPDX-License-Identifier: MIT
// Writes valid starting inputs for each fuzzer under DIR/<fuzzer>/, plus the malformed files of CORPUS/<kind>/ (a
// checkpoint behind a 0 mode byte, see fuzz_checkpoint.cpp): libFuzzer mutates these.
// Usage: fuzz_make_seeds DIR [CORPUS]
#include <ganpp/checkpoint.hpp>
#include <ganpp/data/dataset.hpp>
#include <ganpp/data/idx.hpp>
#include <ganpp/layers.hpp>
#include <ganpp/model_io.hpp>
#include <ganpp/optim.hpp>
#include <ganpp/training_state.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}
std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) return 2;
  const fs::path dir = argv[1];
  using namespace ganpp;

  fs::create_directories(dir / "fuzz_idx");
  const std::uint8_t px[2 * 3 * 2] = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};
  write_idx((dir / "fuzz_idx" / "images").string(), {2, 3, 2}, px);
  write_idx((dir / "fuzz_idx" / "labels").string(), {5}, px);
  write_idx((dir / "fuzz_idx" / "rank4").string(), {1, 1, 2, 2}, px);
  write_idx((dir / "fuzz_idx" / "empty").string(), {0, 28, 28}, nullptr);

  Rng r(5);
  write(dir / "fuzz_rng_state" / "fresh", r.state());
  (void)r.normal();
  write(dir / "fuzz_rng_state" / "spare", r.state());

  ImageDataset ds;
  ds.count = 10;
  ds.height = 2;
  ds.width = 3;
  ds.pixels.assign(60, 7);
  BatchLoader<float> loader(ds, 3, 42);
  write(dir / "fuzz_batch_loader_state" / "start", loader.state());
  Tensor<float> x;
  std::vector<int> y;
  for (int i = 0; i < 4; ++i) loader.next(x, y);
  write(dir / "fuzz_batch_loader_state" / "epoch1", loader.state());

  // The model and optimizer the checkpoint fuzzer loads into, saved under its prefixes "m" and "o".
  Sequential<float> net;
  net.emplace<Linear<float>>(2, 3).emplace<Dropout<float>>(0.5f).emplace<Linear<float>>(3, 1);
  Discriminator<float> model(std::move(net), Shape{2});
  Adam<float> opt(model.parameters(), {1e-3, 0.9, 0.999});
  Checkpoint c;
  Sequential<float> g_net;
  g_net.emplace<Linear<float>>(1, 2);
  Generator<float> gen(std::move(g_net), Shape{1});
  Adam<float> g_opt(gen.parameters(), {1e-3, 0.5, 0.999});
  GanTrainer<float> trainer(gen, model, g_opt, opt);
  Tensor<float> real(Shape{3, 2}, 0.5f);
  trainer.step(real);
  TrainingState<float>{gen, model, g_opt, opt, trainer}.save(c);
  save_model(c, "m", model);
  save_optimizer(c, "o", opt);
  c.put(std::string("d"), Tensor<double>(Shape{2}));
  c.put_text("t", "text");
  const fs::path tmp = dir / "checkpoint.tmp-seed";
  c.save(tmp.string());
  const std::string file = read(tmp);
  fs::remove(tmp);
  write(dir / "fuzz_checkpoint" / "raw", std::string(1, '\0') + file);         // mode 0: the file as is
  write(dir / "fuzz_checkpoint" / "payload", std::string(1, '\1') + file.substr(28));  // mode 1: payload only

  write(dir / "fuzz_csv" / "quoted", "name,note,n\r\n\"Smith, J\",\"said \"\"hi\"\"\",1\r\nx,\"two\nlines\",\r\n");
  write(dir / "fuzz_csv" / "typed", "x,d,c\n1.5,2020-02-29,a\n-2e3,1970-01-02T12:00:00,\n,2001-01-01 10:00,b\n");
  write(dir / "fuzz_csv" / "bom", "\xEF\xBB\xBF" "a\n1\n2\n");

  if (argc == 3) {
    for (const char* kind : {"idx", "checkpoint", "rng_state", "batch_loader_state"}) {
      const fs::path from = fs::path(argv[2]) / kind;
      if (!fs::is_directory(from)) continue;
      for (const auto& e : fs::directory_iterator(from)) {
        const std::string prefix = std::string(kind) == "checkpoint" ? std::string(1, '\0') : std::string();
        write(dir / (std::string("fuzz_") + kind) / ("corpus-" + e.path().filename().string()), prefix + read(e.path()));
      }
    }
  }
  return 0;
}
