// SPDX-License-Identifier: MIT
// ganpp-timeseries: a convolutional GAN over sliding windows of the numeric columns of the user's table (CSV or
// JSON records, rows in time order), scored by TimeGAN's discriminative and predictive scores against windows of
// independent per-step marginals. Writes the synthetic windows in the input's format (columns "window", "step", then
// the series in the input's order), measures.json, report.html (windows overlaid) and a checkpoint for --resume.
#include <ganpp/checkpoint.hpp>
#include <ganpp/ganpp.hpp>
#include <ganpp/tabular/measures.hpp>
#include <ganpp/tabular/series.hpp>
#include <ganpp/training_state.hpp>

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/output.hpp"
#include "common/progress.hpp"
#include "common/report.hpp"
#include "tabular/table_io.hpp"
#include "tabular/tabular_report.hpp"

#include <chrono>
#include <filesystem>

using namespace ganpp;

namespace {

// Up to 24 windows of channel c of real (blue) and synthetic (red) windows, overlaid, in the series' units.
std::string overlay(const std::string& name, const Tensor<float>& real, const Tensor<float>& synth, Index c, const WindowScaler& s) {
  const Index ch = real.dim(1), t = real.dim(2);
  std::string svg =
      "<svg xmlns='http://www.w3.org/2000/svg' width='360' height='200' viewBox='0 0 360 200'><text x='10' y='16' font-size='12' "
      "font-family='sans-serif'>" +
      examples::html_escape(name) + " (real blue, synthetic red; from " + detail::format_number(s.min[static_cast<std::size_t>(c)], 2) + " to " +
      detail::format_number(s.max[static_cast<std::size_t>(c)], 2) + ")</text>";
  char buf[64];
  for (int which = 0; which < 2; ++which) {
    const Tensor<float>& w = which ? synth : real;
    const Index count = std::min<Index>(24, w.batch()), every = std::max<Index>(1, w.batch() / count);
    for (Index i = 0; i < count; ++i) {
      svg += std::string("<polyline fill='none' stroke='") + (which ? "#d62728" : "#1f77b4") + "' stroke-opacity='0.35' points='";
      for (Index k = 0; k < t; ++k) {
        std::snprintf(buf, sizeof buf, "%.1f,%.1f ", 10 + 340.0 * static_cast<double>(k) / static_cast<double>(t - 1),
                      190 - 80 * (w[((i * every) * ch + c) * t + k] + 1.0));
        svg += buf;
      }
      svg += "'/>";
    }
  }
  return svg + "</svg>";
}

}  // namespace

int main(int argc, char** argv) {
  examples::App app("ganpp-timeseries",
                    "a convolutional GAN over sliding windows of your series (CSV or JSON records in time order), scored against marginal windows");
  examples::TableOptions opt;
  opt.out = "out/timeseries";
  opt.add_to(app, "comma-separated numeric columns to model, rows in time order (default: every numeric column)",
             "initialisation, batches and sampling");
  long long windows = 0, epochs = 1000, batch = 64, length = 24;
  app.add_option("--length", length, "window length in rows, a multiple of 4")->check(examples::integer_at_least(4, 4096));
  app.add_option("--windows", windows, "synthetic windows to write (default: as many as the real windows)")->check(examples::integer_at_least(0));
  app.add_option("--epochs", epochs, "passes over the real windows")->check(examples::integer_at_least(0));
  app.add_option("--batch", batch, "windows per step")->check(examples::integer_at_least(2));
  return examples::run_cli(app, argc, argv, [&] {
    if (length % 4 != 0) throw examples::UsageError("--length: " + std::to_string(length) + " is not a multiple of 4");
    const Table t = opt.read();
    const std::string& data = opt.data;
    const std::string& out = opt.out;
    const std::uint64_t seed = opt.seed;
    std::vector<Index> series;
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      if (t.columns[c].kind == ColumnKind::numeric) series.push_back(static_cast<Index>(c));
    if (series.empty()) throw io_error(data + ": no numeric column to model (declare one with --types NAME=numeric)");
    WindowScaler scaler;
    const Tensor<float> real = sliding_windows(t, series, static_cast<Index>(length), 1, scaler);
    const Index ch = real.dim(1), n_real = real.batch(), len = static_cast<Index>(length);
    const Index b = std::min<Index>(static_cast<Index>(batch), n_real);
    examples::make_output_folder(out);

    Generator<float> g(series_generator(32, ch, len), series_latent_shape(32, len));
    Discriminator<float> d(series_discriminator(ch, len), Shape{ch, len});
    g.reset_parameters(Init::dcgan, seed);
    d.reset_parameters(Init::dcgan, seed + 1);
    Adam<float> g_opt(g.parameters(), {2e-4, 0.5, 0.999}), d_opt(d.parameters(), {2e-4, 0.5, 0.999});
    TrainerOptions to;
    to.seed = seed + 2;
    GanTrainer<float> trainer(g, d, g_opt, d_opt, to);
    TrainingState<float> state{g, d, g_opt, d_opt, trainer};
    Rng batch_rng(seed + 3);
    const std::string ck_path = (std::filesystem::path(out) / "checkpoint.ganpp").string();
    long long start_epoch = 0;
    std::vector<examples::LossRow> losses;
    if (opt.resume) {
      if (!std::filesystem::exists(ck_path)) throw io_error("--resume: no checkpoint " + ck_path + " (train without --resume first)");
      const Checkpoint c = Checkpoint::load(ck_path);
      state.load(c);
      batch_rng.set_state(c.text("batch_rng"));
      start_epoch = std::stoll(c.text("epoch"));
      losses = examples::losses_from_text(c.text("losses"));
    }
    const Index steps = std::max<Index>(1, n_real / b);
    Tensor<float> x(Shape{b, ch, len});
    examples::ProgressLine progress;
    const auto t0 = std::chrono::steady_clock::now();
    for (long long e = start_epoch; e < epochs; ++e) {
      StepStats s;
      for (Index k = 0; k < steps; ++k) {
        for (Index i = 0; i < b; ++i) {
          const Index w = static_cast<Index>(batch_rng.below(static_cast<std::uint64_t>(n_real)));
          std::copy_n(real.data() + w * ch * len, ch * len, x.data() + i * ch * len);
        }
        s = trainer.step(x);
        examples::LossRow r;
        r.step = static_cast<long>(losses.size() + 1);
        r.epoch = static_cast<long>(e + 1);
        r.d_loss = s.d_loss;
        r.g_loss = s.g_loss;
        r.d_real = s.d_real;
        r.d_fake = s.d_fake;
        losses.push_back(r);
      }
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      progress.update(e + 1 == epochs, "epoch %lld/%lld  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  %s", e + 1, epochs, s.d_loss, s.g_loss, s.d_real,
                      s.d_fake, examples::format_duration(secs).c_str());
      Checkpoint c;
      state.save(c);
      c.put_text("batch_rng", batch_rng.state());
      c.put_text("epoch", std::to_string(e + 1));
      c.put_text("losses", examples::losses_to_text(losses));
      c.save(ck_path);
    }
    progress.break_line();

    // Synthetic windows, written in the series' units as rows (window, step, series...).
    const Index n_out = windows > 0 ? static_cast<Index>(windows) : n_real;
    // Sampled in train mode (BatchNorm on each batch of 256's own statistics), as DCGAN implementations sample.
    Rng sample_rng(seed + 4);
    Tensor<float> z, synth(Shape{n_out, ch, len});
    for (Index done = 0; done < n_out;) {
      const Index m = std::min<Index>(256, n_out - done);
      g.sample_latent(m, sample_rng, z);
      const Tensor<float>& y = g.forward(z);
      std::copy_n(y.data(), m * ch * len, synth.data() + done * ch * len);
      done += m;
    }
    Table out_table;
    out_table.source = t.source;
    out_table.format = t.format;
    TableColumn wcol, scol;
    wcol.name = "window", scol.name = "step";
    out_table.columns = {wcol, scol};
    for (Index c : series) {
      TableColumn col = t.columns[static_cast<std::size_t>(c)];
      col.values.clear();
      out_table.columns.push_back(col);
    }
    for (Index i = 0; i < n_out; ++i)
      for (Index k = 0; k < len; ++k) {
        out_table.columns[0].values.push_back(static_cast<double>(i + 1));
        out_table.columns[1].values.push_back(static_cast<double>(k + 1));
        for (Index c = 0; c < ch; ++c)
          out_table.columns[static_cast<std::size_t>(2 + c)].values.push_back(
              detail::round_to_decimals(scaler.unscale(static_cast<std::size_t>(c), synth[(i * ch + c) * len + k]),
                                        out_table.columns[static_cast<std::size_t>(2 + c)].decimals));
      }
    const std::string synth_path = examples::write_user_table(out_table, examples::is_json_path(data), out, "synthetic");

    ClassifierOptions co;
    co.seed = seed;
    Rng base_rng(seed + 5);
    const Tensor<float> base = marginal_windows(real, n_real, base_rng);
    Tensor<float> gan_windows(Shape{n_real, ch, len});
    for (Index done = 0; done < n_real;) {
      const Index m = std::min<Index>(256, n_real - done);
      g.sample_latent(m, sample_rng, z);
      std::copy_n(g.forward(z).data(), m * ch * len, gan_windows.data() + done * ch * len);
      done += m;
    }
    // Scored as written: each value rounded to its column's decimals (57% of Seattle's days have exactly 0.0 mm of
    // rain, which tanh reaches only in the limit; the file holds 0.0, and so does what the scores see).
    for (Index i = 0; i < gan_windows.size(); ++i) {
      const auto c = static_cast<std::size_t>((i / len) % ch);
      const int decimals = t.columns[static_cast<std::size_t>(series[c])].decimals;
      gan_windows[i] = static_cast<float>(scaler.scale(c, detail::round_to_decimals(scaler.unscale(c, gan_windows[i]), decimals)));
    }
    const double d_gan = discriminative_score(real, gan_windows, co), d_base = discriminative_score(real, base, co);
    const double p_gan = predictive_score(gan_windows, real, co), p_base = predictive_score(base, real, co),
                 p_real = predictive_score(real, real, co);
    nlohmann::ordered_json j;
    j["data"] = data;
    j["windows"] = n_real;
    j["length"] = length;
    j["channels"] = ch;
    j["epochs"] = epochs;
    j["gan"] = {{"discriminative", examples::rounded(d_gan, 4)}, {"predictive_mae", examples::rounded(p_gan, 4)}};
    j["marginals"] = {{"discriminative", examples::rounded(d_base, 4)}, {"predictive_mae", examples::rounded(p_base, 4)}};
    j["real_predictive_mae"] = examples::rounded(p_real, 4);
    examples::write_file((std::filesystem::path(out) / "measures.json").string(), j.dump(2) + "\n");
    if (opt.json) {
      examples::print_json(j);
    } else {
      std::printf("%-10s %15s %15s\n", "", "discriminative", "predictive MAE");
      std::printf("%-10s %15.4f %15.4f\n", "gan", d_gan, p_gan);
      std::printf("%-10s %15.4f %15.4f\n", "marginals", d_base, p_base);
      std::printf("%-10s %15s %15.4f\n", "real", "", p_real);
      std::printf("wrote %s, %s/measures.json, %s/report.html\n", synth_path.c_str(), out.c_str(), out.c_str());
    }
    std::string html =
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ganpp-timeseries: " + examples::html_escape(data) +
        "</title><style>body{font-family:sans-serif;margin:2em;max-width:76em}svg{margin:.3em}</style></head><body><h1>ganpp-timeseries: " +
        examples::html_escape(data) + "</h1><h2>Measures (scaled units)</h2><pre>" + examples::html_escape(j.dump(2)) + "</pre><h2>Windows</h2>";
    for (Index c = 0; c < ch; ++c)
      html += overlay(t.columns[static_cast<std::size_t>(series[static_cast<std::size_t>(c)])].name, real, gan_windows, c, scaler);
    html += "<h2>Losses</h2>" + examples::svg_chart("Loss", losses, {{"D loss", &examples::LossRow::d_loss}, {"G loss", &examples::LossRow::g_loss}},
                                                    {"#d62728", "#1f77b4"});
    html += "</body></html>\n";
    examples::write_file((std::filesystem::path(out) / "report.html").string(), html);
    return 0;
  });
}
