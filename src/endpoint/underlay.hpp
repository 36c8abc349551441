#pragma once
// Where an endpoint's peer is on the underlay and how large a frame the
// tunnel carries: PATH resolved (an address, or a host name looked up now
// and again when the path dies), the direct IPv6 candidate of auto mode, and
// the inner MTU left by the smallest underlay MTU on the way.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/cli.hpp"
#include "net/address.hpp"

namespace gn::endpoint {

// PATH as addresses: the one given, or the host name's (IPv6 preferred);
// an IPv4 one embedded in each --nat64-prefix when there are any (one
// address per prefix, in their order). Throws UsageError if a host name does
// not resolve.
std::vector<net::IpAddress> resolve_path(const config::EndpointConfig& cfg);
// The same with --port: the targets of the PATH candidates.
std::vector<net::Endpoint> path_targets(const config::EndpointConfig& cfg);

// The address our packets towards a `family` target leave from: LOCAL for
// IPv6 (unspecified for a client, whose LOCAL is its identity rather than
// an address it must have), any address for IPv4.
net::IpAddress outer_source(const config::EndpointConfig& cfg, net::Family family);

// Whether PATH was given as a host name (and so may resolve differently later).
bool path_is_host_name(const config::EndpointConfig& cfg);

struct Underlay {
  std::vector<net::Endpoint> nat64_targets;    // PATH and --port, one per NAT64 prefix; none for a server
  std::optional<net::Endpoint> direct_target;  // REMOTE, in auto mode, if routed
  bool path_is_host_name = false;              // PATH may resolve elsewhere later
  std::uint32_t underlay_mtu = 0;
  std::uint32_t mtu = 0;  // the tunnel interface's
};

// Resolves PATH, asks the routing table for the MTU towards each target (a
// PATH target without a route is left out when another has one) and
// derives the inner MTU. Throws UsageError when the result is unusable (no
// route, an inner MTU below IPv6's 1280).
Underlay plan_underlay(const config::EndpointConfig& cfg);

// The GENEVE header this configuration puts on every data frame.
std::size_t geneve_header_len(const config::EndpointConfig& cfg);

}  // namespace gn::endpoint
