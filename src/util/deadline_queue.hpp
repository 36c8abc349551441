#pragma once
// At most one deadline per key, ordered by time: a loop with many timers
// (one per peer) touches only the keys that are due, not all of them, on
// each tick. set() moves a key's deadline either way; lower() only ever
// moves it earlier, for an event that may make something due sooner.
#include <chrono>
#include <cstddef>
#include <map>
#include <unordered_map>
#include <vector>

namespace gn {

template <class Key, class Hash = std::hash<Key>>
class DeadlineQueue {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Replaces key's deadline; TimePoint::max() (never) removes the key.
  void set(const Key& key, TimePoint when) {
    erase(key);
    if (when != TimePoint::max()) where_.emplace(key, order_.emplace(when, key));
  }

  // Moves key's deadline to `when` if that is earlier (or it has none).
  void lower(const Key& key, TimePoint when) {
    auto it = where_.find(key);
    if (it == where_.end() || when < it->second->first) set(key, when);
  }

  void erase(const Key& key) {
    auto it = where_.find(key);
    if (it == where_.end()) return;
    order_.erase(it->second);
    where_.erase(it);
  }

  // The earliest deadline, TimePoint::max() if there is none.
  TimePoint earliest() const { return order_.empty() ? TimePoint::max() : order_.begin()->first; }

  // Removes and returns every key due at `now` (deadline <= now), earliest
  // first (keys due at the same moment in the order they were set).
  std::vector<Key> take_due(TimePoint now) {
    std::vector<Key> due;
    while (!order_.empty() && order_.begin()->first <= now) {
      due.push_back(order_.begin()->second);
      where_.erase(order_.begin()->second);
      order_.erase(order_.begin());
    }
    return due;
  }

  bool contains(const Key& key) const { return where_.count(key) != 0; }
  std::size_t size() const { return order_.size(); }

 private:
  std::multimap<TimePoint, Key> order_;
  std::unordered_map<Key, typename std::multimap<TimePoint, Key>::iterator, Hash> where_;
};

}  // namespace gn
