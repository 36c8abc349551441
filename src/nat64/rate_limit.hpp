#pragma once
// Token buckets per 32-bit key: for the extension, each IPv4 source may
// create state through the routing option at `rate` per second with bursts
// of `burst`; for the bandwidth limit, each IPv6 /32 may move `rate` bytes
// per second. Pure (callers pass `now`).
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "nat64/state.hpp"

namespace gn::nat64 {

class RateLimiter {
 public:
  // max_sources bounds memory: while that many sources have non-full
  // buckets, a new source is refused (counted rate_limited) until prune()
  // drops the idle ones. A burst of spoofed sources can thus delay the
  // extension for others by at most one prune interval, never grow memory.
  RateLimiter(double rate_per_second, double burst, std::size_t max_sources);

  // Takes `cost` tokens from `source`'s bucket; false if it has fewer.
  bool allow(std::uint32_t source, TimePoint now, double cost = 1.0);
  // Forgets sources whose bucket has refilled (they behave as new sources).
  void prune(TimePoint now);
  std::size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    TimePoint last;
  };
  double refill(Bucket& b, TimePoint now) const;

  double rate_;
  double burst_;
  std::size_t max_sources_;
  std::unordered_map<std::uint32_t, Bucket> buckets_;
};

}  // namespace gn::nat64
