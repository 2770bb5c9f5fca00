// SPDX-License-Identifier: MIT
// Rng: deterministic draws, a state that round-trips, and states that must be refused.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <cmath>
#include <string>

using namespace ganpp;

TEST_CASE("Rng is deterministic and its state round-trips", "[tensor]") {
  Rng a(42), b(42);
  for (int i = 0; i < 5; ++i) a.normal();
  b.set_state(a.state());
  for (int i = 0; i < 10; ++i) REQUIRE(a.normal() == b.normal());
  Rng c(42);
  double mean = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double v = c.normal();
    mean += v / n;
    sq += v * v / n;
  }
  CHECK(std::abs(mean) < 0.03);
  CHECK(std::abs(sq - 1.0) < 0.05);
  CHECK_THROWS_AS(c.set_state("not a state"), io_error);
}

TEST_CASE("fuzz regressions: generator states that would loop forever or hide garbage are refused", "[fuzz][errors]") {
  Rng r(1);
  const std::string before = r.state();
  std::string zero;
  for (int i = 0; i < 312; ++i) zero += "0 ";
  CHECK_THROWS_WITH(r.set_state(zero + "312 0 0x0p+0"), Catch::Contains("Rng::set_state()") && Catch::Contains("degenerate"));
  // Found by fuzz_rng_state: only the low bits of the oldest word set. The first draw is not zero, every later one
  // is, and normal() looped forever.
  CHECK_THROWS_WITH(r.set_state("1 " + zero.substr(2) + "0 0 0x0p+0"), Catch::Contains("degenerate"));
  {
    Rng top;  // the top bit of the oldest word alone is a live state
    top.set_state("9223372036854775808 " + zero.substr(2) + "312 0 0x0p+0");
    (void)top.normal();
  }
  const std::string words = before.substr(0, before.rfind(' ', before.rfind(' ') - 1));
  CHECK_THROWS_WITH(r.set_state(words + " 1 garbage"), Catch::Contains("not a finite number"));
  CHECK_THROWS_WITH(r.set_state(words + " 1 nan"), Catch::Contains("not a finite number"));
  CHECK_THROWS_WITH(r.set_state(before + " extra"), Catch::Contains("unexpected text"));
  CHECK_THROWS_WITH(r.set_state(words + " 2 0x0p+0"), Catch::Contains("spare flag"));
  CHECK(r.state() == before);
  r.set_state(words + " 1 0x1.8p+0");
  CHECK(r.normal() == 1.5);
}
