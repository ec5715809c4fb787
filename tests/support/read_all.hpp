// Every item of a local bee iterator (range, history, diff) in a vector; a failed step
// fails the test and ends the list, so a test never reads an error as an item.
#pragma once

#include <gtest/gtest.h>

#include <type_traits>
#include <utility>
#include <vector>

namespace bee_test {

template <class Iterator>
auto read_all(Iterator&& it) {
  using Item = typename std::remove_cvref_t<decltype(*it.next())>::value_type;
  std::vector<Item> out;
  for (;;) {
    auto e = it.next();
    EXPECT_TRUE(e) << e.error().to_string();
    if (!e || !*e) break;
    out.push_back(std::move(**e));
  }
  return out;
}

}  // namespace bee_test
