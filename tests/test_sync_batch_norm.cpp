// SPDX-License-Identifier: MIT
// BatchNorm with a StatisticsReducer (SyncBatchNorm) and GanTrainer with a GradientSync, without MPI: replicas run in
// threads of this process and sum through a lock-step reducer, and must compute what one layer or trainer computes
// on the whole batch.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace ganpp;
using T = double;

namespace {

// Sums values over `parties` threads that call sum() at the same points, like an allreduce.
class LockstepSum {
 public:
  explicit LockstepSum(int parties) : parties_(parties) {}
  void sum(double* values, Index n) {
    std::unique_lock<std::mutex> lock(m_);
    if (arrived_ == 0) acc_.assign(static_cast<std::size_t>(n), 0.0);
    for (Index i = 0; i < n; ++i) acc_[static_cast<std::size_t>(i)] += values[i];
    wait_all(lock);
    for (Index i = 0; i < n; ++i) values[i] = acc_[static_cast<std::size_t>(i)];
    wait_all(lock);  // everyone has read before the next sum() starts over
  }

 private:
  void wait_all(std::unique_lock<std::mutex>& lock) {
    const long generation = generation_;
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
  }
  int parties_;
  std::mutex m_;
  std::condition_variable cv_;
  int arrived_ = 0;
  long generation_ = 0;
  std::vector<double> acc_;
};

class ThreadReducer : public StatisticsReducer {
 public:
  explicit ThreadReducer(LockstepSum& s) : s_(s) {}
  void sum(double* values, Index n) override { s_.sum(values, n); }

 private:
  LockstepSum& s_;
};

// Rows [begin, begin + count) of a batch.
Tensor<T> rows(const Tensor<T>& x, Index begin, Index count) {
  Shape s = x.shape();
  s[0] = count;
  Tensor<T> out(s);
  const Index per = x.size() / x.batch();
  std::copy(x.data() + begin * per, x.data() + (begin + count) * per, out.data());
  return out;
}

}  // namespace

TEST_CASE("SyncBatchNorm: two replicas on half batches compute what one layer computes on the whole batch", "[layer][distributed]") {
  const Index n = 8, c = 3, w = 2;
  Rng rng(5);
  Tensor<T> x(Shape{n, c, 2, 2}), dy(Shape{n, c, 2, 2});
  rng.fill_normal(x, 0.5, 2.0);
  rng.fill_normal(dy);

  BatchNorm<T> whole(c);
  rng.fill_normal(*whole.parameters()[0].value, 1.0, 0.3);
  const Tensor<T> y = whole.forward(x);
  const Tensor<T> dx = whole.backward(dy);

  LockstepSum lockstep(w);
  ThreadReducer reducer(lockstep);
  std::vector<BatchNorm<T>> replicas(w, BatchNorm<T>(c));
  std::vector<Tensor<T>> ys(w), dxs(w);
  std::vector<std::thread> threads;
  for (Index r = 0; r < w; ++r) {
    replicas[static_cast<std::size_t>(r)].parameters()[0].value->assign(*whole.parameters()[0].value);
    replicas[static_cast<std::size_t>(r)].set_statistics_reducer(&reducer);
  }
  for (Index r = 0; r < w; ++r)
    threads.emplace_back([&, r] {
      auto& bn = replicas[static_cast<std::size_t>(r)];
      const Tensor<T> xr = rows(x, r * n / w, n / w);
      Tensor<T> dyr = rows(dy, r * n / w, n / w);
      dyr.array() *= static_cast<T>(w);  // each replica's own loss is the mean over its shard: w times the gradient
      ys[static_cast<std::size_t>(r)] = bn.forward(xr);
      dxs[static_cast<std::size_t>(r)] = bn.backward(dyr);
    });
  for (auto& t : threads) t.join();

  for (Index r = 0; r < w; ++r) {
    const Tensor<T> y_want = rows(y, r * n / w, n / w), dx_want = rows(dx, r * n / w, n / w);
    for (Index i = 0; i < y_want.size(); ++i) {
      REQUIRE(ys[static_cast<std::size_t>(r)][i] == Approx(y_want[i]).margin(1e-12));
      REQUIRE(dxs[static_cast<std::size_t>(r)][i] / w == Approx(dx_want[i]).margin(1e-12));
    }
    auto bufs = replicas[static_cast<std::size_t>(r)].buffers(), want = whole.buffers();
    for (std::size_t b = 0; b < bufs.size(); ++b)
      for (Index i = 0; i < c; ++i) REQUIRE((*bufs[b].value)[i] == Approx((*want[b].value)[i]).margin(1e-12));
  }
  // The parameters' gradients stay local; their mean over the replicas is the whole batch's gradient.
  for (std::size_t p = 0; p < 2; ++p)
    for (Index i = 0; i < c; ++i) {
      const T mean = ((*replicas[0].parameters()[p].grad)[i] + (*replicas[1].parameters()[p].grad)[i]) / w;
      REQUIRE(mean == Approx((*whole.parameters()[p].grad)[i]).margin(1e-12));
    }
}

TEST_CASE("SyncBatchNorm: eval mode uses the running statistics and never calls the reducer", "[layer][distributed]") {
  struct Refuse : StatisticsReducer {
    void sum(double*, Index) override { FAIL("the reducer was called in eval mode"); }
  } refuse;
  BatchNorm<T> bn(2), plain(2);
  bn.set_statistics_reducer(&refuse);
  bn.eval();
  plain.eval();
  Tensor<T> x(Shape{3, 2});
  Rng(1).fill_normal(x);
  const Tensor<T> a = bn.forward(x), b = plain.forward(x);
  for (Index i = 0; i < a.size(); ++i) REQUIRE(a[i] == b[i]);
}
