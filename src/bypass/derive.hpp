#pragma once
// The NAT64 bypass's per-server identifiers (docs/protocol.md 8.3): the VNI
// from a keyed hash of the gateway's persistent secret and the server's IPv4
// address, so it survives restarts of either side; the gateway's MAC from a
// transient secret, so it changes at every gateway restart and rotation.
// Pure: the secrets are passed in.
#include <array>
#include <cstdint>

namespace gn::bypass {

using Secret = std::array<std::uint8_t, 32>;
using Mac = std::array<std::uint8_t, 6>;
using Ipv4 = std::array<std::uint8_t, 4>;
using Ipv6 = std::array<std::uint8_t, 16>;

// A fresh random secret (libsodium's CSPRNG).
Secret random_secret();

// First 3 bytes of BLAKE2b-256(key = persistent, "gn64 bypass vni" || server).
std::uint32_t vni_for(const Secret& persistent, const Ipv4& server);
// First 6 bytes of BLAKE2b-256(key = transient, "gn64 bypass mac" || server),
// made locally administered unicast (46 bits of entropy).
Mac mac_for(const Secret& transient, const Ipv4& server);
// A random locally administered unicast MAC (a server's tunnel interface).
Mac random_mac();

// fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291
// appendix A): the gateway's link-local address inside a bypass tunnel.
Ipv6 link_local_for(const Mac& mac);
// ff02::1:ffXX:XXXX, the solicited-node multicast address of `target`.
Ipv6 solicited_node(const Ipv6& target);
// 33:33 followed by the last 4 bytes of a multicast IPv6 address (RFC 2464 7).
Mac multicast_mac(const Ipv6& group);

}  // namespace gn::bypass
