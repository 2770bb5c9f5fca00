// SPDX-License-Identifier: MIT
// After the first training step, a step allocates no heap memory: every buffer is reused.
// GCC pairs the replaced operator delete (free) with the new-expression's operator new (also ours, malloc) and
// warns of a mismatch that is not there.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

// Counting replacements of the global allocation functions (for the whole test program; they count only while
// `counting` is set).
void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace ganpp;

TEST_CASE("a training step allocates nothing after the first", "[gan][alloc]") {
  // A small DCGAN-shaped pair: transposed convolutions, batch norm, convolutions, every activation kind.
  Sequential<float> gnet;
  gnet.emplace<ConvTranspose2d<float>>(ConvOptions(8, 8, 4).with_bias(false))
      .emplace<BatchNorm<float>>(8)
      .emplace<ReLU<float>>()
      .emplace<ConvTranspose2d<float>>(ConvOptions(8, 1, 4).with_stride(2).with_padding(1))
      .emplace<Tanh<float>>();
  Sequential<float> dnet;
  dnet.emplace<Conv2d<float>>(ConvOptions(1, 8, 4).with_stride(2).with_padding(1))
      .emplace<LeakyReLU<float>>(0.2f)
      .emplace<Dropout<float>>(0.1)
      .emplace<Flatten<float>>()
      .emplace<Linear<float>>(8 * 4 * 4, 1);
  Generator<float> g(std::move(gnet), Shape{8, 1, 1});
  Discriminator<float> d(std::move(dnet), Shape{1, 8, 8});
  Adam<float> g_opt(g.parameters()), d_opt(d.parameters());
  GanTrainer<float> trainer(g, d, g_opt, d_opt);
  Tensor<float> real(Shape{16, 1, 8, 8});
  Rng rng(1);
  rng.fill_uniform(real, -1, 1);
  trainer.step(real);  // the first step sizes every buffer

  allocations = 0;
  counting = true;
  for (int i = 0; i < 5; ++i) trainer.step(real);
  counting = false;
  CHECK(allocations == 0);
}
