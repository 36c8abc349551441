#pragma once
// Keyed hashing for tables whose keys strangers choose (addresses and ports
// of packets from the network): with a per-process random seed nobody can
// aim many keys at one bucket.
#include <cstdint>
#include <random>

namespace gn {

// splitmix64 finaliser: cheap, and with a secret seed good enough to keep
// chosen keys from piling into one bucket.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) | rd();
}

}  // namespace gn
