#include "bypass/derive.hpp"

#include <sodium.h>

#include <cstring>
#include <string_view>

#include "util/sodium.hpp"

namespace gn::bypass {
namespace {

// BLAKE2b-256 keyed by `key` over `label` || `server`.
std::array<std::uint8_t, 32> keyed_hash(const Secret& key, std::string_view label, const Ipv4& server) {
  ensure_sodium();
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), 32);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(label.data()), label.size());
  crypto_generichash_update(&state, server.data(), server.size());
  std::array<std::uint8_t, 32> out{};
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

Mac locally_administered_unicast(Mac m) {
  m[0] = static_cast<std::uint8_t>((m[0] & 0xfc) | 0x02);
  return m;
}

}  // namespace

Secret random_secret() {
  ensure_sodium();
  Secret s{};
  randombytes_buf(s.data(), s.size());
  return s;
}

std::uint32_t vni_for(const Secret& persistent, const Ipv4& server) {
  const auto h = keyed_hash(persistent, "gn64 bypass vni", server);
  return (std::uint32_t{h[0]} << 16) | (std::uint32_t{h[1]} << 8) | h[2];
}

Mac mac_for(const Secret& transient, const Ipv4& server) {
  const auto h = keyed_hash(transient, "gn64 bypass mac", server);
  Mac m{};
  std::memcpy(m.data(), h.data(), m.size());
  return locally_administered_unicast(m);
}

Mac random_mac() {
  ensure_sodium();
  Mac m{};
  randombytes_buf(m.data(), m.size());
  return locally_administered_unicast(m);
}

Ipv6 link_local_for(const Mac& mac) {
  Ipv6 a{};
  a[0] = 0xfe;
  a[1] = 0x80;
  a[8] = static_cast<std::uint8_t>(mac[0] ^ 0x02);  // the universal/local bit, inverted
  a[9] = mac[1];
  a[10] = mac[2];
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3];
  a[14] = mac[4];
  a[15] = mac[5];
  return a;
}

Ipv6 solicited_node(const Ipv6& target) {
  Ipv6 a{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, target[13], target[14], target[15]};
  return a;
}

Mac multicast_mac(const Ipv6& group) {
  return Mac{0x33, 0x33, group[12], group[13], group[14], group[15]};
}

}  // namespace gn::bypass
