#pragma once
// Internet checksum (RFC 1071) arithmetic for the translator (big-endian
// field access: util/bytes.hpp). Header-only: every function is a few instructions and sits
// on the per-packet path.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "util/bytes.hpp"

namespace gn::nat64 {

// Adds the bytes as big-endian 16-bit words (an odd last byte is padded with
// zero) to a 64-bit accumulator, which cannot overflow for any IP packet.
inline std::uint64_t sum_bytes(std::span<const std::uint8_t> b, std::uint64_t acc = 0) {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2) acc += load16(b.data() + i);
  if (i < b.size()) acc += static_cast<std::uint64_t>(b[i]) << 8;
  return acc;
}

// Folds the accumulator to 16 bits with end-around carry.
inline std::uint16_t fold(std::uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

// The checksum to store for data whose accumulated sum is `acc`.
inline std::uint16_t finish(std::uint64_t acc) {
  return static_cast<std::uint16_t>(~fold(acc));
}

// Pseudo-header sums. The protocol and length fields are summed as the RFC
// lays them out; the order of words does not matter to a one's complement sum.
inline std::uint64_t pseudo_v4(const std::array<std::uint8_t, 4>& src, const std::array<std::uint8_t, 4>& dst,
                               std::uint8_t proto, std::uint32_t length) {
  return sum_bytes(src) + sum_bytes(dst) + proto + length;
}
inline std::uint64_t pseudo_v6(const std::array<std::uint8_t, 16>& src, const std::array<std::uint8_t, 16>& dst,
                               std::uint8_t next_header, std::uint32_t length) {
  return sum_bytes(src) + sum_bytes(dst) + (length >> 16) + (length & 0xffff) + next_header;
}

// RFC 1624 equation 3: the checksum after words summing to `removed` were
// replaced by words summing to `added`: HC' = ~(~HC + ~m + m'). Used for UDP
// so that a datagram corrupted before the translator stays detectably
// corrupt after it (a full recomputation would launder the damage), and for
// the truncated inner packets of ICMP errors, whose payload is incomplete.
inline std::uint16_t adjust(std::uint16_t checksum, std::uint64_t removed, std::uint64_t added) {
  std::uint64_t acc = static_cast<std::uint16_t>(~checksum);
  acc += static_cast<std::uint16_t>(~fold(removed));
  acc += fold(added);
  return static_cast<std::uint16_t>(~fold(acc));
}

// UDP transmits a computed checksum of zero as all ones (RFC 768): zero on
// the wire means "no checksum".
inline std::uint16_t udp_wire_checksum(std::uint16_t c) {
  return c == 0 ? 0xffff : c;
}

}  // namespace gn::nat64
