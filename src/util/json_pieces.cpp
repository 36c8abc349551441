#include "util/json_pieces.hpp"

#include <stdexcept>

namespace gn {
namespace {

// A top-level member of a dump(2) object: nested members are indented
// deeper, so this cannot match inside a value.
constexpr std::size_t kIndent = 2;
const std::string kElementIndent(2 * kIndent, ' ');

}  // namespace

JsonArrayPieces::JsonArrayPieces(const nlohmann::json& document, const std::string& key) {
  const std::string whole = document.dump(kIndent);
  const std::string member = "\n" + std::string(kIndent, ' ') + nlohmann::json(key).dump() + ": []";
  const auto pos = whole.find(member);
  if (!document.is_object() || pos == std::string::npos)
    throw std::logic_error("JsonArrayPieces: the document has no empty top-level array \"" + key + "\"");
  const auto bracket = pos + member.size() - 2;  // the '[' of "[]"
  head_ = whole.substr(0, bracket + 1);
  rest_ = whole.substr(bracket + 2);
}

void JsonArrayPieces::append_element(std::string& out, const nlohmann::json& element, std::size_t index) const {
  out += index == 0 ? "\n" : ",\n";
  out += kElementIndent;
  // Every newline in a dump is between tokens (strings escape theirs):
  // indenting after each one nests the element one level deeper.
  for (char c : element.dump(kIndent)) {
    out += c;
    if (c == '\n') out += kElementIndent;
  }
}

void JsonArrayPieces::append_tail(std::string& out, std::size_t count) const {
  if (count > 0) out += "\n" + std::string(kIndent, ' ');
  out += ']';
  out += rest_;
}

}  // namespace gn
