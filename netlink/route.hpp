#pragma once
// IPv6 policy routing over rtnetlink (MnlSocket), for geneve-bypass: a
// default route through its TUN device in a table of its own, and rules
// that send the host's packets into that table: those from each address
// the tunnel serves, and, after the main table, those with no other route.
// Builders are pure (tests/unit/netlink_route_test.cpp); PolicyRule removes
// what it added.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "netlink/mnl.hpp"

namespace gn::netlink {

using Ipv6Bytes = std::array<std::uint8_t, 16>;

// RTM_NEWROUTE, create or replace: ::/0 dev `ifindex` in `table`. The
// kernel removes it with the device.
Message build_default_route(int ifindex, std::uint32_t table);
// RTM_NEWRULE (create, exclusive) or RTM_DELRULE: IPv6, "from SRC/128" (or
// from all), lookup `table`, at `priority`.
Message build_rule(bool add, const std::optional<Ipv6Bytes>& from, std::uint32_t table, std::uint32_t priority);

void add_default_route(MnlSocket& sock, int ifindex, const std::string& ifname, std::uint32_t table);
// Deletes every IPv6 rule that looks up `table` (left by a process that was
// killed); returns how many.
int delete_rules_for_table(MnlSocket& sock, std::uint32_t table);

// One IPv6 rule, added by the constructor and deleted by the destructor
// (rules, unlike routes and addresses, outlive the device they lead to).
class PolicyRule {
 public:
  PolicyRule(MnlSocket& sock, const std::optional<Ipv6Bytes>& from, std::uint32_t table, std::uint32_t priority);
  ~PolicyRule();
  PolicyRule(PolicyRule&& other) noexcept;
  PolicyRule& operator=(PolicyRule&&) = delete;
  PolicyRule(const PolicyRule&) = delete;
  PolicyRule& operator=(const PolicyRule&) = delete;

  std::string describe() const;

 private:
  MnlSocket* sock_;
  std::optional<Ipv6Bytes> from_;
  std::uint32_t table_;
  std::uint32_t priority_;
};

}  // namespace gn::netlink
