#pragma once
// The NAT64 bypass option (class 0x0162, type 0x00; docs/protocol.md 8.2):
// building its data and finding it among a GENEVE packet's options. Pure.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "geneve/codec.hpp"

namespace gn::bypass {

inline constexpr std::uint16_t kOptionClass = 0x0162;
inline constexpr std::uint8_t kOptionType = 0x00;
// The most data one option carries (Length is 5 bits of 4-byte words).
inline constexpr std::size_t kMaxMessageLen = 124;

struct Found {
  std::size_t count = 0;               // bypass options in the packet
  std::span<const std::uint8_t> data;  // the first one's data
};
// Scans an options area that geneve::parse already accepted.
Found find_option(std::span<const std::uint8_t> options);

// A GENEVE header for a bypass tunnel: VNI, protocol 0x6558 and the option
// with `message` (cut to kMaxMessageLen bytes at a UTF-8 boundary), or no
// option when `with_option` is false (the server's direction).
geneve::HeaderBuilder header(std::uint32_t vni, bool with_option, std::string_view message = {});

// The option's log message for a log line: trailing 0xff padding removed,
// printable ASCII kept, every other byte written as \xNN.
std::string log_message(std::span<const std::uint8_t> data);

}  // namespace gn::bypass
