// SPDX-License-Identifier: MIT
// The examples' command-line conventions, written once: CLI11 parsing, --help, one-line errors and exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

namespace examples {

/// A command line that parses but makes no sense (e.g. --digit without --model cgan): run_cli() reports it like a
/// parse error, with exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses the command line into the options declared on `app`, then runs `body` and returns its exit code.
/// --help prints the options and exits 0. A usage error (unknown option, missing or malformed value, UsageError
/// thrown by `body`) prints `<program>: <what is wrong> (run <program> --help)` on stderr and exits 2; any other
/// exception from `body` (a missing file, a failed write) prints `<program>: <what>` and exits 1.
template <typename Body>
int run_cli(CLI::App& app, int argc, char** argv, Body&& body) {
  const std::string name = app.get_name();
  auto usage = [&](const std::string& what) {
    std::fprintf(stderr, "%s: %s (run %s --help)\n", name.c_str(), what.c_str(), name.c_str());
    return 2;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::ExtrasError&) {
    const std::string first = app.remaining().empty() ? std::string() : app.remaining().front();
    return usage(first.rfind('-', 0) == 0 ? "unknown option '" + first + "'" : "unexpected argument '" + first + "'");
  } catch (const CLI::ArgumentMismatch& e) {
    const std::string what = e.what();  // "--epochs: 1 required INT missing" when the value is left out
    const std::size_t colon = what.find(':');
    const bool missing = colon != std::string::npos && what.size() > 8 && what.compare(what.size() - 8, 8, " missing") == 0;
    return usage(missing ? what.substr(0, colon) + " needs a value" : what);
  } catch (const CLI::ParseError& e) {
    return usage(e.what());
  }
  try {
    return body();
  } catch (const UsageError& e) {
    return usage(e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), e.what());
    return 1;
  }
}

/// A CLI::App with the examples' settings: the program's name and description, defaults shown in --help, and an
/// option given twice taking its last value (so a script's defaults can be overridden by appending flags).
struct App : CLI::App {
  App(const std::string& name, const std::string& description) : CLI::App(description, name) {
    option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    get_formatter()->column_width(28);
  }
};

/// A check that the value is an integer >= `min` (and <= `max`): "needs an integer >= 1, got 'x'".
inline CLI::Validator integer_at_least(long long min, long long max = (1LL << 53)) {
  const std::string range = max < (1LL << 53) ? "from " + std::to_string(min) + " to " + std::to_string(max) : ">= " + std::to_string(min);
  return CLI::Validator(
      [=](std::string& v) -> std::string {
        try {
          std::size_t used = 0;
          const long long x = std::stoll(v, &used);
          if (used == v.size() && x >= min && x <= max) return {};
        } catch (const std::exception&) {
        }
        return "needs an integer " + range + ", got '" + v + "'";
      },
      range);
}

/// A check that the value is a number >= `min`, or > `min` when `strict`: "needs a number > 0, got 'x'".
inline CLI::Validator number_above(double min, bool strict = false) {
  std::string bound = std::to_string(min);
  bound.erase(bound.find_last_not_of('0') + 1);
  if (bound.back() == '.') bound.pop_back();
  const std::string range = (strict ? "> " : ">= ") + bound;
  return CLI::Validator(
      [=](std::string& v) -> std::string {
        try {
          std::size_t used = 0;
          const double x = std::stod(v, &used);
          if (used == v.size() && (strict ? x > min : x >= min)) return {};
        } catch (const std::exception&) {
        }
        return "needs a number " + range + ", got '" + v + "'";
      },
      range);
}

/// --data DIR: the MNIST folder, the same in every program that reads MNIST.
inline CLI::Option* add_data_option(CLI::App& app, std::string& dir) {
  dir = "data/mnist";
  return app.add_option("--data", dir,
                        "folder with the four MNIST IDX files (get them with cmake -DMNIST_DIR=data/mnist -P cmake/FetchMNIST.cmake)");
}

/// --threads T, default the machine's cores.
inline CLI::Option* add_threads_option(CLI::App& app, int& threads) {
  threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return app.add_option("--threads", threads, "threads (default: the machine's cores)")->check(integer_at_least(1, 1024))->default_str("cores");
}

/// --seed S, default 0.
inline CLI::Option* add_seed_option(CLI::App& app, std::uint64_t& seed, const std::string& what) {
  seed = 0;
  return app.add_option("--seed", seed, "seed of " + what)->check(integer_at_least(0));
}

/// --json: one JSON line on stdout instead of text.
inline CLI::Option* add_json_flag(CLI::App& app, bool& json) {
  json = false;
  return app.add_flag("--json", json, "print one JSON line instead of text");
}

}  // namespace examples
