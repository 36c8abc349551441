#pragma once
// Reading back netlink messages built by netlink/: attribute lookup by type
// and by nested path, for comparing against linux/if_link.h, pkt_cls.h and
// the kernel's policies.
#include <libmnl/libmnl.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

#include "netlink/mnl.hpp"

namespace gn::netlink::testing {

using Bytes = std::vector<std::uint8_t>;

// The attribute of `type` among those in [data, data+len), or nullptr.
inline const nlattr* find(const void* data, std::size_t len, std::uint16_t type) {
  const nlattr* found = nullptr;
  parse_payload(data, len, [&](const nlattr* a) {
    if (!found && mnl_attr_get_type(a) == type) found = a;
  });
  return found;
}

// Follows a path of attribute types, the first among the message's own
// attributes (after a family header of `header_len` bytes).
inline const nlattr* path(const nlmsghdr* nlh, std::size_t header_len, std::initializer_list<std::uint16_t> types) {
  const auto* p = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(nlh)) + MNL_ALIGN(header_len);
  std::size_t len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(header_len);
  const nlattr* a = nullptr;
  for (std::uint16_t t : types) {
    a = find(p, len, t);
    if (!a) return nullptr;
    p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
    len = mnl_attr_get_payload_len(a);
  }
  return a;
}

inline Bytes payload(const nlattr* a) {
  const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
  return Bytes(p, p + mnl_attr_get_payload_len(a));
}

// Every attribute type directly inside `a`.
inline std::vector<std::uint16_t> types_in(const nlattr* a) {
  std::vector<std::uint16_t> out;
  parse_nested(a, [&](const nlattr* i) { out.push_back(mnl_attr_get_type(i)); });
  return out;
}

inline const nlmsghdr* header(const Bytes& m) {
  return reinterpret_cast<const nlmsghdr*>(m.data());
}

}  // namespace gn::netlink::testing
