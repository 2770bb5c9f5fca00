// SPDX-License-Identifier: MIT
// After the first training step, a step allocates no heap memory: every buffer is reused.
// Counted twice over: operator new (ganpp's own containers) and, where the C library allows it, malloc itself,
// which is what Eigen calls for its product workspaces (before detail::Gemm kept them, the MLP reference
// model's step made about 25 such calls). GCC pairs the replaced operator delete (free) with the new-expression's operator new (also ours, malloc) and
// warns of a mismatch that is not there.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
void count_allocation() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

// malloc and friends, forwarded to glibc's own entry points. Not under a sanitizer, which replaces them itself.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define GANPP_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GANPP_TEST_SANITIZED 1
#endif
#if defined(__GLIBC__) && !defined(GANPP_TEST_SANITIZED)
#define GANPP_TEST_COUNTS_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* malloc(std::size_t size) {
  count_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  count_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  count_allocation();
  return __libc_realloc(p, size);
}
// libgomp takes its team structures from memalign: a parallel region opened per call showed up only here.
void* memalign(std::size_t alignment, std::size_t size) {
  count_allocation();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  count_allocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  count_allocation();
  *out = __libc_memalign(alignment, size);
  return *out ? 0 : ENOMEM;
}
}
#endif

#ifdef GANPP_TEST_SANITIZED
// Under a sanitizer, which owns malloc and operator new, its allocator hooks see every allocation of either kind.
// (Replacing operator new/delete here would pair the sanitizer's nothrow new with our free: a reported mismatch.)
// Declared here: GCC does not ship <sanitizer/allocator_interface.h>; the sanitizer runtimes export the function.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*on_malloc)(const volatile void*, std::size_t),
                                                          void (*on_free)(const volatile void*));
namespace {
void on_allocation(const volatile void*, std::size_t) { count_allocation(); }
void on_free(const volatile void*) {}
[[maybe_unused]] const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_allocation, on_free);
}  // namespace
#else
// Counting replacements of the global allocation functions (for the whole test program; they count only while
// `counting` is set).
void* operator new(std::size_t size) {
#ifndef GANPP_TEST_COUNTS_MALLOC
  count_allocation();  // otherwise malloc counts it
#endif
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

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

TEST_CASE("a training step of the reference MLP GAN allocates nothing after the first", "[gan][alloc]") {
  // Products big enough that Eigen would take its workspaces from the heap on every call.
  Sequential<float> gnet;
  gnet.emplace<Linear<float>>(100, 256).emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(256, 1024)
      .emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(1024, 784).emplace<Tanh<float>>();
  Sequential<float> dnet;
  dnet.emplace<Linear<float>>(784, 512).emplace<LeakyReLU<float>>(0.2f).emplace<Linear<float>>(512, 1);
  Generator<float> g(std::move(gnet), Shape{100});
  Discriminator<float> d(std::move(dnet), Shape{784});
  Adam<float> g_opt(g.parameters()), d_opt(d.parameters());
  GanTrainer<float> trainer(g, d, g_opt, d_opt);
  Tensor<float> real(Shape{64, 784});
  Rng rng(2);
  rng.fill_uniform(real, -1, 1);
  const int threads_before = num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    trainer.step(real);  // sizes the buffers (and per-thread workspaces) for this thread count
    allocations = 0;
    counting = true;
    for (int i = 0; i < 3; ++i) trainer.step(real);
    counting = false;
    INFO("threads " << threads);
    CHECK(allocations == 0);
  }
  set_num_threads(threads_before);
}
