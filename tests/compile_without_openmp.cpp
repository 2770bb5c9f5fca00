// SPDX-License-Identifier: MIT
// Compiled, never run: ganpp must build without OpenMP (GANPP_USE_OPENMP=OFF, or a consumer without -fopenmp)
// under the project's warnings-as-errors. Warnings in templates only show when they are instantiated, so this
// instantiates a training step of dense and convolutional layers in float and double.
// (Regression: an unused variable in detail::Gemm outside its #ifdef _OPENMP block broke this build.)
#include <ganpp/ganpp.hpp>

#ifdef _OPENMP
#error "this translation unit must be compiled without OpenMP"
#endif

template <typename S>
void one_step() {
  ganpp::Sequential<S> gnet, dnet;
  gnet.template emplace<ganpp::Linear<S>>(4, 16).template emplace<ganpp::ReLU<S>>().template emplace<ganpp::Reshape<S>>(ganpp::Shape{1, 4, 4});
  gnet.template emplace<ganpp::ConvTranspose2d<S>>(ganpp::ConvOptions(1, 2, 3).with_padding(1)).template emplace<ganpp::Tanh<S>>();
  dnet.template emplace<ganpp::Conv2d<S>>(ganpp::ConvOptions(2, 4, 3).with_stride(2).with_padding(1)).template emplace<ganpp::BatchNorm<S>>(4);
  dnet.template emplace<ganpp::LeakyReLU<S>>(S(0.2)).template emplace<ganpp::Flatten<S>>().template emplace<ganpp::Linear<S>>(16, 1);
  ganpp::Generator<S> g(std::move(gnet), ganpp::Shape{4});
  ganpp::Discriminator<S> d(std::move(dnet), ganpp::Shape{2, 4, 4});
  ganpp::Adam<S> g_opt(g.parameters()), d_opt(d.parameters());
  ganpp::GanTrainer<S> trainer(g, d, g_opt, d_opt);
  ganpp::Tensor<S> real(ganpp::Shape{8, 2, 4, 4});
  trainer.step(real);
}

template void one_step<float>();
template void one_step<double>();
