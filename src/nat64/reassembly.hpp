#pragma once
// Reassembly of fragmented IPv4 datagrams and IPv6 packets with a Fragment
// header, for the translator: only the first fragment carries the ports a
// session is found by, so a stateful NAT64 must see the datagram whole
// (RFC 6146 3.4 lets it hold fragments; RFC 7915 translates per fragment
// only where the ports are not needed). Bounded: at most `max_datagrams`
// under way and `max_bytes` of buffers (each as long as its furthest
// fragment reaches), each for `timeout`. Pure: callers pass
// the fragments' fields and `now`.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nat64/state.hpp"

namespace gn::nat64 {

struct FragmentKey {
  std::array<std::uint8_t, 16> src{};  // IPv4 addresses in the first 4 bytes
  std::array<std::uint8_t, 16> dst{};
  std::uint32_t id = 0;
  std::uint8_t proto = 0;
  std::uint8_t version = 0;  // 4 or 6: the two never share a datagram
  friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
};

struct ReassemblyLimits {
  std::size_t max_datagrams = 1024;
  std::size_t max_bytes = 8u << 20;
  std::chrono::seconds timeout{5};
};

enum class ReassemblyResult : std::uint8_t {
  kHeld,      // kept; the datagram is not complete yet
  kComplete,  // `header` and `payload` hold the datagram
  kOverlap,   // overlaps a fragment already held differently: the datagram is dropped (RFC 5722)
  kTooBig,    // would end past 65535 bytes, or a last fragment disagrees with the length known
  kFull,      // max_datagrams or max_bytes reached: refused, nothing held for it
};

class Reassembler {
 public:
  explicit Reassembler(ReassemblyLimits limits);

  // One fragment: `offset` in bytes from the start of the upper-layer
  // payload, `more` its More Fragments flag, `data` its payload. `header`
  // is what the caller will rebuild the datagram's header from; it is kept
  // from the fragment at offset 0. On kComplete the datagram is removed
  // from the buffer and returned in `header` (the first fragment's) and
  // `payload` (all of it, in order).
  ReassemblyResult add(const FragmentKey& key, std::size_t offset, bool more, std::span<const std::uint8_t> data,
                       std::span<const std::uint8_t> header_of_first, TimePoint now, std::vector<std::uint8_t>& header,
                       std::vector<std::uint8_t>& payload);
  // Drops datagrams held longer than the timeout; returns how many.
  std::size_t expire(TimePoint now);

  std::size_t datagrams() const { return held_.size(); }
  std::size_t bytes() const { return bytes_; }  // buffer memory held
  const ReassemblyLimits& limits() const { return limits_; }

 private:
  struct Hasher {
    std::uint64_t seed;
    std::size_t operator()(const FragmentKey& k) const;
  };
  struct Datagram {
    std::vector<std::uint8_t> data;
    std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [begin, end) received, unordered
    std::vector<std::uint8_t> header;
    std::size_t total = 0;  // known once the last fragment arrived
    bool have_first = false;
    TimePoint created;
  };
  bool complete(const Datagram& d) const;
  void forget(std::unordered_map<FragmentKey, Datagram, Hasher>::iterator it);

  ReassemblyLimits limits_;
  std::unordered_map<FragmentKey, Datagram, Hasher> held_;
  // Creation order (all share one timeout), with the creation time to tell
  // a live entry from a key reused after its datagram went.
  std::deque<std::pair<TimePoint, FragmentKey>> order_;
  std::size_t bytes_ = 0;
};

}  // namespace gn::nat64
