#include "bypass/flow_table.hpp"

#include "net/address.hpp"
#include "util/hash.hpp"

namespace gn::bypass {

std::size_t FlowKeyHash::operator()(const FlowKey& k) const {
  const std::size_t a = net::AddressHasher{seed}(net::IpAddress::v6(k.client));
  return mix64(a ^ (std::uint64_t{k.proto} << 32) ^ (std::uint64_t{k.client_port} << 16) ^ k.server_port);
}

FlowTable::FlowTable(std::size_t capacity, Clock::duration idle)
    : capacity_(capacity == 0 ? 1 : capacity), idle_(idle), index_(0, FlowKeyHash{random_seed()}) {}

std::string flow_name(const FlowKey& key) {
  return "[" + net::IpAddress::v6(key.client).to_string() + "]:" + std::to_string(key.client_port);
}

void FlowTable::touch(const FlowKey& key, Clock::time_point now, std::vector<FlowEvent>& events) {
  if (auto it = index_.find(key); it != index_.end()) {
    it->second->last = now;
    by_use_.splice(by_use_.end(), by_use_, it->second);
    return;
  }
  if (index_.size() >= capacity_) {
    events.push_back({FlowEvent::Kind::kDeleted, by_use_.front().key});
    index_.erase(by_use_.front().key);
    by_use_.pop_front();
  }
  by_use_.push_back({key, now});
  index_.emplace(key, std::prev(by_use_.end()));
  events.push_back({FlowEvent::Kind::kCreated, key});
}

void FlowTable::expire(Clock::time_point now, std::vector<FlowEvent>& events) {
  while (!by_use_.empty() && now - by_use_.front().last >= idle_) {
    events.push_back({FlowEvent::Kind::kDeleted, by_use_.front().key});
    index_.erase(by_use_.front().key);
    by_use_.pop_front();
  }
}

void FlowTable::clear(std::vector<FlowEvent>& events) {
  for (const Entry& e : by_use_) events.push_back({FlowEvent::Kind::kDeleted, e.key});
  by_use_.clear();
  index_.clear();
}

}  // namespace gn::bypass
