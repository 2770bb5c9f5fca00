// SPDX-License-Identifier: MIT
// Restores the warnings that stb_begin.hpp silenced, right after an stb header.
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
