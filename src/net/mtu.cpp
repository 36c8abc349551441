#include "net/mtu.hpp"

namespace gn::net {

std::uint32_t tunnel_overhead(std::size_t geneve_len) {
  return static_cast<std::uint32_t>(kIpv6HeaderLen + kUdpHeaderLen + geneve_len + kEthernetHeaderLen);
}

std::uint32_t inner_mtu_for(std::uint32_t underlay_mtu, std::size_t geneve_len) {
  std::uint32_t overhead = tunnel_overhead(geneve_len);
  return underlay_mtu > overhead ? underlay_mtu - overhead : 0;
}

}  // namespace gn::net
