#include "endpoint/sockets.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/log.hpp"

namespace gn::endpoint {

EndpointSockets::EndpointSockets(dataplane::UserspaceDataplane& dataplane, net::IpAddress local_v6,
                                 std::uint16_t source_port, std::uint16_t listen_port, bool offloads, std::size_t peers)
    : dataplane_(dataplane),
      local_v6_(local_v6),
      source_port_(source_port),
      listen_port_(listen_port),
      offloads_(offloads),
      // A small datagram costs the buffer about 2 KiB (its skb); room for
      // two per peer, at most 256 MiB. 10,000 clients sent 3,222 probes
      // into a full 4 MiB buffer at once in the lab.
      receive_buffer_(static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(peers * 4096, 1), 256u << 20))) {}

dataplane::UdpSocket& EndpointSockets::for_family(net::Family family) {
  const bool v6 = family == net::Family::kV6;
  auto& send = v6 ? send6_ : send4_;
  if (send) return *send;
  const net::IpAddress addr = v6 ? local_v6_ : net::IpAddress::v4({0, 0, 0, 0});
  send.emplace(dataplane::UdpSocket::bind({addr, source_port_}, offloads_, receive_buffer_));
  dataplane_.add_socket(*send, "the UDP socket");
  if (!send->offloads().reason.empty())
    log::info("UDP socket {}: {}", send->local().to_string(), send->offloads().reason);
  if (source_port_ != listen_port_) {
    auto& listen = v6 ? listen6_ : listen4_;
    listen.emplace(dataplane::UdpSocket::bind({addr, listen_port_}, offloads_, receive_buffer_));
    dataplane_.add_socket(*listen, "the UDP listen socket");
  }
  return *send;
}

nlohmann::json EndpointSockets::offload_status() const {
  nlohmann::json sockets = nlohmann::json::array();
  for (const auto* s : {&send4_, &send6_, &listen4_, &listen6_}) {
    if (!*s) continue;
    const auto& o = (*s)->offloads();
    const bool refused = dataplane_.gso_refused(**s);
    std::string reason = o.reason;
    if (refused)
      reason =
          "the kernel refused a segmented send (EIO: the route's device does not checksum); sending datagram by "
          "datagram";
    else if (!offloads_ && reason.empty())
      reason = "off (--no-offload)";
    sockets.push_back({{"local", (*s)->local().to_string()},
                       {"gso", o.gso && !refused},
                       {"gro", o.gro},
                       {"sndbuf", o.sndbuf},
                       {"rcvbuf", o.rcvbuf},
                       {"reason", reason}});
  }
  return sockets;
}

}  // namespace gn::endpoint
