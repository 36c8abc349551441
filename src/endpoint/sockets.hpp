#pragma once
// The endpoint's UDP sockets on the userspace data plane, by address
// family, bound when first needed: `send` at the fixed source port (what
// NATs see), `listen` at --port when the two differ. Each is handed to the
// data plane for receiving as it is bound.
#include <cstdint>
#include <optional>

#include <nlohmann/json_fwd.hpp>

#include "dataplane/udp.hpp"
#include "dataplane/userspace.hpp"
#include "net/address.hpp"

namespace gn::endpoint {

class EndpointSockets {
 public:
  // `local_v6`: the IPv6 address to bind (unspecified for a client, whose
  // LOCAL is an identity rather than an address it must have).
  // `peers`: how many peers share the sockets; the receive buffer grows
  // with them, so that every client's probe after a server restart (all at
  // once) fits.
  EndpointSockets(dataplane::UserspaceDataplane& dataplane, net::IpAddress local_v6, std::uint16_t source_port,
                  std::uint16_t listen_port, bool offloads, std::size_t peers = 1);

  // The send socket of `family`, bound (with its listen socket) on first use.
  dataplane::UdpSocket& for_family(net::Family family);

  // Every bound socket's offloads and buffer sizes, and why any is off.
  nlohmann::json offload_status() const;

 private:
  dataplane::UserspaceDataplane& dataplane_;
  net::IpAddress local_v6_;
  std::uint16_t source_port_, listen_port_;
  bool offloads_;
  int receive_buffer_;
  std::optional<dataplane::UdpSocket> send4_, send6_, listen4_, listen6_;
};

}  // namespace gn::endpoint
