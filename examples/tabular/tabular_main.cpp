// SPDX-License-Identifier: MIT
// ganpp-tabular: a CTGAN trained on the user's own table (CSV or JSON records), measured against held-out rows and
// against two baselines (independent marginals, a Gaussian copula). Writes the synthetic table in the input's
// format and column order, measures.json, report.html and a checkpoint for --resume.
#include <ganpp/checkpoint.hpp>
#include <ganpp/tabular/baselines.hpp>
#include <ganpp/tabular/ctgan.hpp>
#include <ganpp/tabular/measures.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/output.hpp"
#include "common/progress.hpp"
#include "common/report.hpp"
#include "tabular/table_io.hpp"
#include "tabular/tabular_report.hpp"

#include <chrono>
#include <filesystem>
#include <sstream>

using namespace ganpp;

namespace {

// Rows `rows` of t, in that order.
Table take_rows(const Table& t, const std::vector<Index>& rows) {
  Table out = t.empty_like();
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    for (Index r : rows) out.columns[c].values.push_back(t.columns[c].values[static_cast<std::size_t>(r)]);
  return out;
}

struct Scores {
  std::string name;
  double mean_ks = 0, mean_tvd = 0, assoc = 0, tstr = -1, dcr_median = 0, dcr_p05 = 0;
  Index copies = 0;
};

Scores measure(const std::string& name, const Table& synth, const Table& train, const Table& test, Index target, const ClassifierOptions& co) {
  Scores s;
  s.name = name;
  double ks = 0, tvd = 0, nk = 0, nt = 0;
  for (const ColumnScore& c : column_scores(test, synth)) {
    if (c.kind == ColumnKind::categorical) tvd += c.score, nt += 1;
    else ks += c.score, nk += 1;
  }
  s.mean_ks = nk > 0 ? ks / nk : 0;
  s.mean_tvd = nt > 0 ? tvd / nt : 0;
  s.assoc = association_difference(test, synth);
  if (target >= 0) s.tstr = efficacy_accuracy(synth, test, train, target, co);
  const RowSpace space(train);
  const std::vector<double> d = distance_to_closest(synth, train, space);
  s.dcr_median = quantile(d, 0.5);
  s.dcr_p05 = quantile(d, 0.05);
  for (double v : d) s.copies += v == 0;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  examples::App app("ganpp-tabular",
                    "CTGAN on your own table (CSV or JSON records): synthetic rows, measured against held-out rows and two baselines");
  examples::TableOptions opt;
  opt.out = "out/tabular";
  opt.add_to(app, "comma-separated columns to use (default: all), kept in the file's order", "the split, initialisation and sampling");
  std::string target;
  long long rows = 0, epochs = 100, batch = 500;
  double holdout = 0.2, lr = 2e-4;
  app.add_option("--target", target, "a categorical column: TSTR/TRTR efficacy of a classifier predicting it");
  app.add_option("--rows", rows, "synthetic rows to write (default: as many as the training rows)")->check(examples::integer_at_least(0));
  app.add_option("--epochs", epochs, "passes over the training rows")->check(examples::integer_at_least(0));
  app.add_option("--batch", batch, "rows per step, a multiple of 10 (PacGAN packs 10)")->check(examples::integer_at_least(10));
  app.add_option("--lr", lr, "Adam learning rate")->check(examples::number_above(0, true));
  app.add_option("--holdout", holdout, "share of rows held out for the measures")->check(CLI::Range(0.05, 0.9));
  return examples::run_cli(app, argc, argv, [&] {
    if (batch % 10 != 0) throw examples::UsageError("--batch: " + std::to_string(batch) + " is not a multiple of 10 (PacGAN packs 10 rows)");
    const Table all = opt.read();
    const std::string& data = opt.data;
    const std::string& out = opt.out;
    const std::uint64_t seed = opt.seed;
    const bool is_json = examples::is_json_path(data);
    Index target_index = -1;
    if (!target.empty()) {
      target_index = all.column_index(target);
      if (all.columns[static_cast<std::size_t>(target_index)].kind != ColumnKind::categorical)
        throw examples::UsageError("--target: column '" + target + "' is not categorical (declare it with --types " + target + "=categorical)");
    }
    const Index n = all.rows();
    const Index n_test = std::max<Index>(1, static_cast<Index>(std::llround(holdout * static_cast<double>(n))));
    if (n - n_test < 10) throw io_error(data + ": " + std::to_string(n) + " rows leave fewer than 10 for training");
    std::vector<Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index(0));
    Rng split_rng(seed);
    split_rng.shuffle(order);
    const Table test = take_rows(all, std::vector<Index>(order.begin(), order.begin() + n_test));
    const Table train = take_rows(all, std::vector<Index>(order.begin() + n_test, order.end()));
    examples::make_output_folder(out);

    DataTransformer transformer;
    transformer.fit(train);
    Tensor<float> encoded;
    Rng encode_rng(seed + 1);
    transformer.encode(train, encode_rng, encoded);
    CtganOptions o;
    o.batch = std::min<Index>(static_cast<Index>(batch), train.rows() / 10 * 10);
    o.lr = lr;
    o.seed = seed;
    Ctgan<float> gan(transformer, encoded, o);
    const std::string ck_path = (std::filesystem::path(out) / "checkpoint.ganpp").string();
    long long start_epoch = 0;
    std::vector<examples::LossRow> losses;
    if (opt.resume) {
      if (!std::filesystem::exists(ck_path)) throw io_error("--resume: no checkpoint " + ck_path + " (train without --resume first)");
      const Checkpoint c = Checkpoint::load(ck_path);
      gan.load(c);
      start_epoch = std::stoll(c.text("epoch"));
      losses = examples::losses_from_text(c.text("losses"));
    }
    const Index steps_per_epoch = std::max<Index>(1, train.rows() / o.batch);
    examples::ProgressLine progress;
    const auto t0 = std::chrono::steady_clock::now();
    for (long long e = start_epoch; e < epochs; ++e) {
      CtganStats s;
      for (Index k = 0; k < steps_per_epoch; ++k) {
        s = gan.step();
        examples::LossRow r;
        r.step = static_cast<long>(losses.size() + 1);
        r.epoch = static_cast<long>(e + 1);
        r.d_loss = s.d_loss + s.penalty;
        r.g_loss = s.g_loss + s.cond_loss;
        r.d_real = s.penalty;
        r.d_fake = s.cond_loss;
        losses.push_back(r);
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      progress.update(e + 1 == epochs, "epoch %lld/%lld  critic %.3f  penalty %.3f  G %.3f  cond %.3f  %s", e + 1, epochs, s.d_loss, s.penalty,
                      s.g_loss, s.cond_loss, examples::format_duration(secs).c_str());
      Checkpoint c;
      gan.save(c);
      c.put_text("epoch", std::to_string(e + 1));
      c.put_text("losses", examples::losses_to_text(losses));
      c.save(ck_path);
    }
    progress.break_line();

    const Index n_out = rows > 0 ? static_cast<Index>(rows) : train.rows();
    const Table synth = gan.sample(n_out);
    const std::string synth_path = examples::write_user_table(synth, is_json, out, "synthetic");

    // The measures, each against the held-out rows, on as many synthetic rows as held-out ones.
    ClassifierOptions co;
    co.seed = seed;
    Rng base_rng(seed + 5);
    const Table gan_rows = gan.sample(test.rows()), marg_rows = sample_marginals(train, test.rows(), base_rng);
    const Table cop_rows = GaussianCopula(train).sample(test.rows(), base_rng);
    std::vector<Scores> scores{measure("ctgan", gan_rows, train, test, target_index, co),
                               measure("marginals", marg_rows, train, test, target_index, co),
                               measure("copula", cop_rows, train, test, target_index, co)};
    const double trtr = target_index >= 0 ? efficacy_accuracy(train, test, train, target_index, co) : -1;
    const RowSpace space(train);
    const double holdout_dcr = quantile(distance_to_closest(test, train, space), 0.5);

    nlohmann::ordered_json j;
    j["data"] = data;
    j["train_rows"] = train.rows();
    j["test_rows"] = test.rows();
    j["epochs"] = epochs;
    if (target_index >= 0) j["trtr_accuracy"] = examples::rounded(trtr, 4);
    j["holdout_dcr_median"] = examples::rounded(holdout_dcr, 4);
    for (const Scores& s : scores) {
      nlohmann::ordered_json m;
      m["mean_ks"] = examples::rounded(s.mean_ks, 4);
      m["mean_tvd"] = examples::rounded(s.mean_tvd, 4);
      m["association_difference"] = examples::rounded(s.assoc, 4);
      if (target_index >= 0) m["tstr_accuracy"] = examples::rounded(s.tstr, 4);
      m["dcr_median"] = examples::rounded(s.dcr_median, 4);
      m["dcr_p05"] = examples::rounded(s.dcr_p05, 4);
      m["copies_of_training_rows"] = s.copies;
      j[s.name] = m;
    }
    examples::write_file((std::filesystem::path(out) / "measures.json").string(), j.dump(2) + "\n");
    if (opt.json) {
      examples::print_json(j);
    } else {
      std::printf("%-10s %8s %8s %8s %8s %8s %7s\n", "", "KS", "TVD", "assoc", "TSTR", "DCR", "copies");
      for (const Scores& s : scores)
        std::printf("%-10s %8.4f %8.4f %8.4f %8.4f %8.4f %7lld\n", s.name.c_str(), s.mean_ks, s.mean_tvd, s.assoc, s.tstr, s.dcr_median,
                    static_cast<long long>(s.copies));
      std::printf("%-10s %8s %8s %8s %8.4f %8.4f\n", "real", "", "", "", trtr, holdout_dcr);
      std::printf("wrote %s, %s/measures.json, %s/report.html\n", synth_path.c_str(), out.c_str(), out.c_str());
    }
    examples::write_tabular_report((std::filesystem::path(out) / "report.html").string(), data, test, gan_rows, losses, j.dump(2));
    return 0;
  });
}
