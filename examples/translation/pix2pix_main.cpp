// SPDX-License-Identifier: MIT
// ganpp-pix2pix: Fashion-MNIST edges -> item with pix2pix (paired); see translation_app.hpp and docs/translation.md.
#include "translation/translation_app.hpp"

int main(int argc, char** argv) { return translation_app::run(translation_app::Kind::pix2pix, argc, argv); }
