// SPDX-License-Identifier: MIT
// ganpp-cyclegan: Fashion-MNIST edges -> item with CycleGAN (unpaired); see translation_app.hpp and docs/translation.md.
#include "translation/translation_app.hpp"

int main(int argc, char** argv) { return translation_app::run(translation_app::Kind::cyclegan, argc, argv); }
