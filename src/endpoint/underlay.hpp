#pragma once
// Where an endpoint's peer is on the underlay and how large a frame the
// tunnel carries: PATH resolved (an address, or a host name looked up now
// and again when the path dies), the direct IPv6 candidate of auto mode, and
// the inner MTU left by the smallest underlay MTU on the way.
#include <cstdint>
#include <optional>
#include <string>

#include "config/cli.hpp"
#include "net/address.hpp"

namespace gn::endpoint {

// PATH as an address: the one given, or the host name's (IPv6 preferred),
// with an IPv4 address embedded in --nat64-prefix when that is set. Throws
// UsageError if a host name does not resolve.
net::IpAddress resolve_path(const config::EndpointConfig& cfg);

// The address our packets towards a `family` target leave from: LOCAL for
// IPv6 (unspecified for a client, whose LOCAL is its identity rather than
// an address it must have), any address for IPv4.
net::IpAddress outer_source(const config::EndpointConfig& cfg, net::Family family);

// Whether PATH was given as a host name (and so may resolve differently later).
bool path_is_host_name(const config::EndpointConfig& cfg);

struct Underlay {
  std::optional<net::Endpoint> nat64_target;   // PATH and --port; none for a server
  std::optional<net::Endpoint> direct_target;  // REMOTE, in auto mode, if routed
  bool path_is_host_name = false;              // PATH may resolve elsewhere later
  std::uint32_t underlay_mtu = 0;
  std::uint32_t mtu = 0;  // the tunnel interface's
};

// Resolves PATH, asks the routing table for the MTU towards each target and
// derives the inner MTU. Throws UsageError when the result is unusable (no
// route, an inner MTU below IPv6's 1280).
Underlay plan_underlay(const config::EndpointConfig& cfg);

// The GENEVE header this configuration puts on every data frame.
std::size_t geneve_header_len(const config::EndpointConfig& cfg);

}  // namespace gn::endpoint
