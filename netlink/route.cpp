#include "netlink/route.hpp"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "net/address.hpp"
#include "util/log.hpp"

namespace gn::netlink {

Message build_default_route(int ifindex, std::uint32_t table) {
  MessageBuffer b;
  nlmsghdr* nlh = b.put_header(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rt->rtm_family = AF_INET6;
  rt->rtm_dst_len = 0;
  rt->rtm_table = RT_TABLE_UNSPEC;  // RTA_TABLE holds it: tables above 255 fit
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_TABLE, table);
  mnl_attr_put_u32(nlh, RTA_OIF, static_cast<std::uint32_t>(ifindex));
  return b.bytes();
}

Message build_rule(bool add, const std::optional<Ipv6Bytes>& from, std::uint32_t table, std::uint32_t priority) {
  MessageBuffer b;
  const std::uint16_t flags = add ? NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL : NLM_F_REQUEST | NLM_F_ACK;
  nlmsghdr* nlh = b.put_header(add ? RTM_NEWRULE : RTM_DELRULE, flags);
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = AF_INET6;
  frh->src_len = from ? 128 : 0;
  frh->table = RT_TABLE_UNSPEC;
  frh->action = FR_ACT_TO_TBL;
  if (from) mnl_attr_put(nlh, FRA_SRC, from->size(), from->data());
  mnl_attr_put_u32(nlh, FRA_TABLE, table);
  mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
  return b.bytes();
}

void add_default_route(MnlSocket& sock, int ifindex, const std::string& ifname, std::uint32_t table) {
  sock.request(build_default_route(ifindex, table),
               fmt::format("adding the route ::/0 dev {} table {}", ifname, table));
}

int delete_rules_for_table(MnlSocket& sock, std::uint32_t table) {
  struct Found {
    std::optional<Ipv6Bytes> from;
    std::uint32_t priority = 0;
  };
  std::vector<Found> found;
  MessageBuffer b;
  nlmsghdr* nlh = b.put_header(RTM_GETRULE, NLM_F_REQUEST | NLM_F_DUMP);
  auto* req = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  req->family = AF_INET6;
  sock.dump(b.bytes(), "listing the IPv6 rules", [&](const nlmsghdr* m) {
    if (m->nlmsg_type != RTM_NEWRULE || mnl_nlmsg_get_payload_len(m) < sizeof(fib_rule_hdr)) return;
    const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(m));
    if (frh->family != AF_INET6) return;
    std::uint32_t t = frh->table;
    Found f;
    parse_attributes(m, sizeof(fib_rule_hdr), [&](const nlattr* a) {
      const auto type = mnl_attr_get_type(a);
      if (type == FRA_TABLE && mnl_attr_validate(a, MNL_TYPE_U32) == 0) t = mnl_attr_get_u32(a);
      if (type == FRA_PRIORITY && mnl_attr_validate(a, MNL_TYPE_U32) == 0) f.priority = mnl_attr_get_u32(a);
      if (type == FRA_SRC && mnl_attr_get_payload_len(a) == 16 && frh->src_len == 128) {
        Ipv6Bytes src{};
        std::memcpy(src.data(), mnl_attr_get_payload(a), src.size());
        f.from = src;
      }
    });
    if (t == table && (frh->src_len == 0 || f.from)) found.push_back(f);
  });
  for (const Found& f : found)
    sock.request(build_rule(false, f.from, table, f.priority),
                 fmt::format("deleting a stale rule to table {} at priority {}", table, f.priority));
  return static_cast<int>(found.size());
}

PolicyRule::PolicyRule(MnlSocket& sock, const std::optional<Ipv6Bytes>& from, std::uint32_t table,
                       std::uint32_t priority)
    : sock_(&sock), from_(from), table_(table), priority_(priority) {
  sock.request(build_rule(true, from, table, priority), "adding the rule " + describe());
}

PolicyRule::PolicyRule(PolicyRule&& other) noexcept
    : sock_(std::exchange(other.sock_, nullptr)),
      from_(other.from_),
      table_(other.table_),
      priority_(other.priority_) {}

PolicyRule::~PolicyRule() {
  if (sock_ == nullptr) return;
  try {
    sock_->request(build_rule(false, from_, table_, priority_), "deleting the rule " + describe());
  } catch (const std::exception& e) {
    // A destructor must not throw; the next start deletes what is left.
    log::warn("{}", e.what());
  }
}

std::string PolicyRule::describe() const {
  return fmt::format("{}: from {} lookup {}", priority_,
                     from_ ? net::IpAddress::v6(*from_).to_string() : std::string("all"), table_);
}

}  // namespace gn::netlink
