#pragma once
// The operator's usage accounting (seed 001: "packet counts per IPv6 /32;
// packets which cannot be associated with any IPv6 address are counted per
// IPv4 /24"), and the per-/32 bandwidth limit. Aggregates only: no
// address, port or connection below a /32 (or /24) is ever kept, so
// neither the status nor the log can tell who talked to whom. Pure: callers
// pass packets' prefixes and sizes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace gn::nat64 {

struct UsageCount {
  std::uint64_t packets_from = 0;  // /32: sent by it (IPv6 -> IPv4); /24: sent by it
  std::uint64_t bytes_from = 0;
  std::uint64_t packets_to = 0;  // /32 only: delivered to it (IPv4 -> IPv6)
  std::uint64_t bytes_to = 0;
  void add(const UsageCount& o);
  bool empty() const { return packets_from == 0 && packets_to == 0; }
};

// One table of either kind: key is the prefix's leading 32 bits (a /24 has
// its last byte zero). Bounded: past max_prefixes new prefixes are added up
// in `other`, so a flood of sources cannot grow memory.
class UsageTable {
 public:
  explicit UsageTable(std::size_t max_prefixes) : max_(max_prefixes) {}
  void count_from(std::uint32_t key, std::size_t bytes);
  void count_to(std::uint32_t key, std::size_t bytes);

  struct Row {
    std::uint32_t key;
    UsageCount count;
  };
  // Totals since start, most packets first.
  std::vector<Row> totals() const;
  // What was counted since the last call (most packets first; the
  // overflow apart), then starts a new interval: what the periodic log
  // reports.
  struct Interval {
    std::vector<Row> rows;
    UsageCount other;
  };
  Interval take_interval();
  const UsageCount& other() const { return other_total_; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    UsageCount total;
    UsageCount interval;
  };
  UsageCount* slot(std::uint32_t key, UsageCount*& interval);
  std::size_t max_;
  std::unordered_map<std::uint32_t, Entry> entries_;
  UsageCount other_total_, other_interval_;
};

// "2001:db8::/32" and "203.0.113.0/24" from the tables' keys.
std::string v6_slash32(std::uint32_t key);
std::string v4_slash24(std::uint32_t key);

}  // namespace gn::nat64
