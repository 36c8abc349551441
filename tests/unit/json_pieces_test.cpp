// JsonArrayPieces: a document written in pieces is byte for byte the one
// nlohmann's dump(2) writes whole, for no, one and many elements, wherever
// the array's key sorts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "util/json_pieces.hpp"

namespace gn {
namespace {

nlohmann::json element(int i) {
  return {{"name", "c" + std::to_string(i)},
          {"nested", {{"list", {1, 2, {{"deep", nullptr}}}}, {"empty", nlohmann::json::array()}}},
          {"text", "line\nbreak \"quoted\""}};
}

std::string pieces_of(const nlohmann::json& head, const std::string& key, int n) {
  JsonArrayPieces p(head, key);
  std::string out = p.head();
  for (int i = 0; i < n; ++i) p.append_element(out, element(i), static_cast<std::size_t>(i));
  p.append_tail(out, static_cast<std::size_t>(n));
  return out;
}

nlohmann::json whole(nlohmann::json head, const std::string& key, int n) {
  for (int i = 0; i < n; ++i) head[key].push_back(element(i));
  return head;
}

TEST(JsonArrayPieces, WritesWhatDumpWritesWhole) {
  const nlohmann::json head = {{"a", 1},
                               {"nested", {{"peers", nlohmann::json::array()}}},
                               {"peers", nlohmann::json::array()},
                               {"z", {{"x", "y"}}}};
  for (int n : {0, 1, 2, 17}) EXPECT_EQ(pieces_of(head, "peers", n), whole(head, "peers", n).dump(2)) << n;
}

TEST(JsonArrayPieces, TheArrayMayBeFirstOrLast) {
  for (const char* key : {"aaa", "zzz"}) {
    const nlohmann::json head = {{"m", 1}, {key, nlohmann::json::array()}};
    EXPECT_EQ(pieces_of(head, key, 3), whole(head, key, 3).dump(2)) << key;
  }
}

TEST(JsonArrayPieces, ANestedArrayOfTheNameIsNotTheMember) {
  const nlohmann::json head = {{"a", {{"peers", nlohmann::json::array()}}}};
  EXPECT_THROW(JsonArrayPieces(head, "peers"), std::logic_error);
}

}  // namespace
}  // namespace gn
