#pragma once
// The classic BPF program of the control channel's packet socket
// (dataplane/underlay_control.hpp): of every IP packet the namespace sees,
// only GENEVE control messages to our port pass to userspace. Data never
// does, so the kernel data plane's packets cost the socket one filter run
// each (JITed), not a copy. Pure; tests run it with libpcap's interpreter.
#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace gn::dataplane {

// For an AF_PACKET SOCK_DGRAM socket (data starts at the IP header): IPv4
// (any header length, not a fragment) or IPv6 (UDP right after the fixed
// header), UDP destination port `port`, GENEVE version 0 with protocol
// 0x6558, and an inner Ethernet frame of EtherType 0x88B5 (our control
// framing, docs/protocol.md 6.1) behind the options. Everything else,
// including any packet too short for a field the program reads, is refused.
// Accepted packets are passed whole: userspace checks them again in full
// (outer::parse_udp, geneve::parse), the filter is only a sieve.
std::vector<sock_filter> control_filter(std::uint16_t port);

}  // namespace gn::dataplane
