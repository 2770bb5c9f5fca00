// SPDX-License-Identifier: MIT
// Shape and Tensor: sizes, views, resizing that keeps the buffer, and the errors of impossible shapes.
#include <catch2/catch.hpp>
#include <ganpp/ganpp.hpp>

using namespace ganpp;

TEST_CASE("Shape and Tensor basics", "[tensor]") {
  Tensor<float> t(Shape{2, 3, 4, 5});
  CHECK(t.size() == 120);
  CHECK(t.batch() == 2);
  CHECK(t.shape().str() == "(2, 3, 4, 5)");
  CHECK(t.shape().sample_shape() == Shape{3, 4, 5});
  CHECK(t.matrix().rows() == 60);
  CHECK(t.matrix().cols() == 2);
  t.at(1, 2, 3, 4) = 7.0f;
  CHECK(t[119] == 7.0f);
  const float* before = t.data();
  t.resize(Shape{2, 60});  // same size: buffer kept
  CHECK(t.data() == before);
  CHECK_THROWS_AS(t.reshape(Shape{7, 7}), shape_error);
  CHECK_THROWS_WITH(t.matrix(7, 7), Catch::Contains("(2, 60)"));
  CHECK_THROWS_AS(Shape({1, 2, 3, 4, 5}), shape_error);
  CHECK_THROWS_AS(Tensor<float>(Shape{2}, std::vector<float>{1, 2, 3}), shape_error);
}
