#pragma once
// Longest-prefix match over IPv4 and IPv6 prefixes (a server's allowed_ips:
// which client an inner address belongs to). One hash table per prefix
// length in use, searched from the longest length down: a lookup costs one
// hash probe per distinct length (one or two in practice: every client
// given a /64, say), whatever the number of prefixes. Pure; not thread-safe
// for writes (built before the data plane starts, then only read).
#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/address.hpp"

namespace gn::net {

template <typename T>
class PrefixTable {
 public:
  // False (and nothing changed) if exactly this prefix is already there.
  bool add(const IpAddress& network, int length, T value) {
    Family& f = family(network.family());
    auto it = std::find_if(f.lengths.begin(), f.lengths.end(), [&](const auto& l) { return l.first == length; });
    if (it == f.lengths.end()) {
      f.lengths.emplace_back(length, Map{});
      // Longest first: the first hit is the longest match.
      std::sort(f.lengths.begin(), f.lengths.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
      it = std::find_if(f.lengths.begin(), f.lengths.end(), [&](const auto& l) { return l.first == length; });
    }
    return it->second.emplace(masked(network, length), std::move(value)).second;
  }

  // The value of the longest prefix holding `a`, or nullptr.
  const T* lookup(const IpAddress& a) const {
    const Family& f = families_[index(a.family())];
    for (const auto& [length, map] : f.lengths)
      if (auto it = map.find(masked(a, length)); it != map.end()) return &it->second;
    return nullptr;
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& f : families_)
      for (const auto& l : f.lengths) n += l.second.size();
    return n;
  }

 private:
  using Map = std::unordered_map<IpAddress, T, AddressHasher>;
  struct Family {
    std::vector<std::pair<int, Map>> lengths;
  };
  static std::size_t index(net::Family f) { return f == net::Family::kV4 ? 0 : 1; }
  Family& family(net::Family f) { return families_[index(f)]; }
  std::array<Family, 2> families_;
};

}  // namespace gn::net
