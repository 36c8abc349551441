#include "nat64/usage.hpp"

#include <algorithm>
#include <array>

#include "net/address.hpp"
#include "util/bytes.hpp"

namespace gn::nat64 {

void UsageCount::add(const UsageCount& o) {
  packets_from += o.packets_from;
  bytes_from += o.bytes_from;
  packets_to += o.packets_to;
  bytes_to += o.bytes_to;
}

UsageCount* UsageTable::slot(std::uint32_t key, UsageCount*& interval) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_) {
      interval = &other_interval_;
      return &other_total_;
    }
    it = entries_.emplace(key, Entry{}).first;
  }
  interval = &it->second.interval;
  return &it->second.total;
}

void UsageTable::count_from(std::uint32_t key, std::size_t bytes) {
  UsageCount* interval = nullptr;
  UsageCount* total = slot(key, interval);
  for (UsageCount* c : {total, interval}) {
    ++c->packets_from;
    c->bytes_from += bytes;
  }
}

void UsageTable::count_to(std::uint32_t key, std::size_t bytes) {
  UsageCount* interval = nullptr;
  UsageCount* total = slot(key, interval);
  for (UsageCount* c : {total, interval}) {
    ++c->packets_to;
    c->bytes_to += bytes;
  }
}

namespace {
void by_packets(std::vector<UsageTable::Row>& rows) {
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    std::uint64_t pa = a.count.packets_from + a.count.packets_to;
    std::uint64_t pb = b.count.packets_from + b.count.packets_to;
    return pa != pb ? pa > pb : a.key < b.key;
  });
}
}  // namespace

std::vector<UsageTable::Row> UsageTable::totals() const {
  std::vector<Row> rows;
  rows.reserve(entries_.size());
  for (const auto& [key, e] : entries_) rows.push_back({key, e.total});
  by_packets(rows);
  return rows;
}

UsageTable::Interval UsageTable::take_interval() {
  Interval out;
  for (auto& [key, e] : entries_) {
    if (!e.interval.empty()) out.rows.push_back({key, e.interval});
    e.interval = {};
  }
  by_packets(out.rows);
  out.other = other_interval_;
  other_interval_ = {};
  return out;
}

std::string v6_slash32(std::uint32_t key) {
  std::array<std::uint8_t, 16> b{};
  store32(b.data(), key);
  return net::IpAddress::v6(b).to_string() + "/32";
}

std::string v4_slash24(std::uint32_t key) {
  std::array<std::uint8_t, 4> b{};
  store32(b.data(), key & 0xffffff00u);
  return net::IpAddress::v4(b).to_string() + "/24";
}

}  // namespace gn::nat64
