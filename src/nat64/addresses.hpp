#pragma once
// Address and checksum predicates the translator's files share
// (translator.cpp, translator_bypass.cpp).
#include <cstdint>

#include "nat64/packet.hpp"
#include "net/checksum.hpp"
#include "util/bytes.hpp"

namespace gn::nat64 {

// A destination the translator must never send to: "this network",
// loopback, multicast, class E and limited broadcast.
inline bool v4_unicast(const Bytes4& a) {
  return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

inline bool v6_unicast(const Bytes16& a) {
  static constexpr Bytes16 kUnspecified{};
  static constexpr Bytes16 kLoopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a[0] != 0xff && a != kUnspecified && a != kLoopback;
}

inline std::uint32_t as_u32(const Bytes4& a) {
  return load32(a.data());
}

inline bool checksum_ok(std::uint64_t sum) {
  return checksum::fold(sum) == 0xffff;
}

}  // namespace gn::nat64
