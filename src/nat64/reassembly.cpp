#include "nat64/reassembly.hpp"

#include <algorithm>

#include "util/bytes.hpp"
#include "util/hash.hpp"

namespace gn::nat64 {
namespace {

// The largest datagram either family carries without a jumbogram.
constexpr std::size_t kMaxDatagram = 65535;

}  // namespace

std::size_t Reassembler::Hasher::operator()(const FragmentKey& k) const {
  // Keyed: the fields are chosen by strangers.
  std::uint64_t h =
      seed ^ (static_cast<std::uint64_t>(k.id) << 16) ^ (static_cast<std::uint64_t>(k.proto) << 8) ^ k.version;
  for (std::size_t i = 0; i < 16; i += 8) h = mix64(h ^ load64(k.src.data() + i)) ^ load64(k.dst.data() + i);
  return mix64(h);
}

Reassembler::Reassembler(ReassemblyLimits limits) : limits_(limits), held_(64, Hasher{random_seed()}) {}

bool Reassembler::complete(const Datagram& d) const {
  if (!d.have_first || d.total == 0) return false;
  std::size_t got = 0;
  for (const auto& [b, e] : d.ranges) got += e - b;  // ranges never overlap
  return got == d.total;
}

void Reassembler::forget(std::unordered_map<FragmentKey, Datagram, Hasher>::iterator it) {
  bytes_ -= it->second.data.size();
  held_.erase(it);
}

ReassemblyResult Reassembler::add(const FragmentKey& key, std::size_t offset, bool more,
                                  std::span<const std::uint8_t> data, std::span<const std::uint8_t> header_of_first,
                                  TimePoint now, std::vector<std::uint8_t>& header,
                                  std::vector<std::uint8_t>& payload) {
  expire(now);
  const std::size_t end = offset + data.size();
  auto it = held_.find(key);
  // A fragment that cannot be part of any valid datagram: past the largest,
  // or a middle fragment whose length is not a multiple of 8 (the next
  // fragment's offset could not follow it).
  if (end > kMaxDatagram || (more && data.size() % 8 != 0) || data.empty()) {
    if (it != held_.end()) forget(it);
    return ReassemblyResult::kTooBig;
  }
  // The bound is on memory: a datagram's buffer reaches to the end of its
  // furthest fragment, however little of it arrived.
  const std::size_t held_size = it == held_.end() ? 0 : it->second.data.size();
  const std::size_t growth = end > held_size ? end - held_size : 0;
  if (it == held_.end()) {
    if (held_.size() >= limits_.max_datagrams || bytes_ + growth > limits_.max_bytes) return ReassemblyResult::kFull;
    it = held_.emplace(key, Datagram{}).first;
    it->second.created = now;
    order_.emplace_back(now, key);
  } else if (bytes_ + growth > limits_.max_bytes) {
    forget(it);
    return ReassemblyResult::kFull;
  }
  Datagram& d = it->second;
  for (const auto& [b, e] : d.ranges) {
    if (offset >= e || end <= b) continue;
    // The same bytes again (a duplicated fragment) change nothing; anything
    // else is an overlap, which RFC 5722 makes fatal for the datagram.
    if (b == offset && e == end && std::equal(data.begin(), data.end(), d.data.begin() + static_cast<long>(b)))
      return ReassemblyResult::kHeld;
    forget(it);
    return ReassemblyResult::kOverlap;
  }
  if (!more) {
    if ((d.total != 0 && d.total != end) ||
        std::any_of(d.ranges.begin(), d.ranges.end(), [&](const auto& r) { return r.second > end; })) {
      forget(it);
      return ReassemblyResult::kTooBig;
    }
    d.total = end;
  } else if (d.total != 0 && end > d.total) {
    forget(it);
    return ReassemblyResult::kTooBig;
  }
  if (d.data.size() < end) d.data.resize(end);
  bytes_ += growth;
  std::copy(data.begin(), data.end(), d.data.begin() + static_cast<long>(offset));
  d.ranges.emplace_back(offset, end);
  if (offset == 0) {
    d.header.assign(header_of_first.begin(), header_of_first.end());
    d.have_first = true;
  }
  if (!complete(d)) return ReassemblyResult::kHeld;
  bytes_ -= d.data.size();
  header = std::move(d.header);
  payload = std::move(d.data);
  payload.resize(d.total);
  held_.erase(it);
  return ReassemblyResult::kComplete;
}

std::size_t Reassembler::expire(TimePoint now) {
  std::size_t dropped = 0;
  while (!order_.empty()) {
    auto it = held_.find(order_.front().second);
    // The key may have completed, or been reused by a later datagram: then
    // the entry is stale and goes at once, so that the queue stays as short
    // as the datagrams really held (plus the completed ones behind them).
    bool live = it != held_.end() && it->second.created == order_.front().first;
    if (live) {
      if (order_.front().first + limits_.timeout > now) break;
      forget(it);
      ++dropped;
    }
    order_.pop_front();
  }
  return dropped;
}

}  // namespace gn::nat64
