#pragma once
// The bypass server's connection table (docs/gateway.md, "Bypass: the
// server side"): the client flows one gateway carries to this server, as
// the NAT64 handoff server kept them (seeds 002, 003): bounded (64508
// entries by default), a new flow in a full table deletes the least
// recently used one ("deleted to make room"), and idle flows expire. It
// only tells the log what happened; packets are never dropped for it.
// Pure: the caller passes the time.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "bypass/derive.hpp"

namespace gn::bypass {

using Clock = std::chrono::steady_clock;

struct FlowKey {
  std::uint8_t proto = 0;  // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 (echo: the identifier is the port)
  Ipv6 client{};
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;
  bool operator==(const FlowKey&) const = default;
};

// Keyed (util/hash.hpp): clients choose the keys.
struct FlowKeyHash {
  std::uint64_t seed = 0;
  std::size_t operator()(const FlowKey& k) const;
};

struct FlowEvent {
  enum class Kind : std::uint8_t { kCreated, kDeleted } kind;
  FlowKey key;
};

// "[2001:db8::17]:53186", the handoff server's way to name a flow.
std::string flow_name(const FlowKey& key);

class FlowTable {
 public:
  static constexpr std::size_t kDefaultCapacity = 64508;  // the handoff server's table

  FlowTable(std::size_t capacity, Clock::duration idle);

  // A packet of `key`: refreshes it, or creates it (after deleting the
  // least recently used flow if the table is full), appending what
  // happened to `events`.
  void touch(const FlowKey& key, Clock::time_point now, std::vector<FlowEvent>& events);
  // Deletes the flows idle for `idle` or longer.
  void expire(Clock::time_point now, std::vector<FlowEvent>& events);
  // Deletes every flow (the gateway left).
  void clear(std::vector<FlowEvent>& events);

  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    FlowKey key;
    Clock::time_point last;
  };
  std::size_t capacity_;
  Clock::duration idle_;
  std::list<Entry> by_use_;  // least recently used first
  std::unordered_map<FlowKey, std::list<Entry>::iterator, FlowKeyHash> index_;
};

}  // namespace gn::bypass
