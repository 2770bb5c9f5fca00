// SPDX-License-Identifier: MIT
// test::TempDir now lives in support.hpp with the other shared test helpers; this header remains for the files that
// still include it by its old name.
#pragma once

#include "support.hpp"
