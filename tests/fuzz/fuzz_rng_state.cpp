// SPDX-License-Identifier: MIT
// libFuzzer target: Rng::set_state() on arbitrary text; an accepted state must round-trip through state().
#include "fuzz_common.hpp"

#include <ganpp/random.hpp>

using namespace ganpp_fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  expect_clean([&] {
    ganpp::Rng r(1);
    r.set_state(text);
    ganpp::Rng copy(2);
    copy.set_state(r.state());
    require(copy.state() == r.state(), "state() of a restored generator round-trips");
    for (int i = 0; i < 4; ++i) {
      const double a = r.normal(), b = copy.normal();
      require(a == b || (a != a && b != b), "restored generators draw the same normals");
      require(r.below(7) == copy.below(7), "restored generators draw the same integers");
    }
  });
  return 0;
}
