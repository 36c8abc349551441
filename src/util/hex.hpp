#pragma once
// Hex text to bytes and back: for the codec tool's arguments and for test
// vectors. Strict: only pairs of hex digits.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gn {

// nullopt on an odd length or a character that is not a hex digit.
std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text);
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace gn
