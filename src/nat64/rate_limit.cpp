#include "nat64/rate_limit.hpp"

#include <algorithm>

namespace gn::nat64 {

RateLimiter::RateLimiter(double rate_per_second, double burst, std::size_t max_sources)
    : rate_(rate_per_second), burst_(burst), max_sources_(max_sources) {}

double RateLimiter::refill(Bucket& b, TimePoint now) const {
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) {
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
  }
  return b.tokens;
}

bool RateLimiter::allow(std::uint32_t source, TimePoint now, double cost) {
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_) return false;
    it = buckets_.emplace(source, Bucket{burst_, now}).first;
  }
  if (refill(it->second, now) < cost) return false;
  it->second.tokens -= cost;
  return true;
}

void RateLimiter::prune(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (refill(it->second, now) >= burst_)
      it = buckets_.erase(it);
    else
      ++it;
  }
}

}  // namespace gn::nat64
