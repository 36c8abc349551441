#pragma once
// A JSON document with one long array member, written in pieces (the head,
// then elements, then the tail) byte for byte as nlohmann's dump(2) writes
// the whole: readers cannot tell a streamed document from a built one, and
// the writer never holds more than a few elements at a time.
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace gn {

class JsonArrayPieces {
 public:
  // `document`: an object whose top-level member `key` is an empty array,
  // where the elements go. Throws std::logic_error if it has no such member.
  JsonArrayPieces(const nlohmann::json& document, const std::string& key);

  // Everything before the first element.
  const std::string& head() const { return head_; }
  // Appends element number `index` (0-based) of the array.
  void append_element(std::string& out, const nlohmann::json& element, std::size_t index) const;
  // Appends everything after the last of `count` elements.
  void append_tail(std::string& out, std::size_t count) const;

 private:
  std::string head_;  // up to and including the array's '['
  std::string rest_;  // after the array's ']'
};

}  // namespace gn
