#pragma once
// ICMPv6 echo messages (RFC 4443 4.1, 4.2) as the probes send and read
// them: pure bytes. The checksum is left 0: the kernel fills it in on both
// socket kinds the prober uses (ping sockets and raw ICMPv6 sockets).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gn::health {

constexpr std::uint8_t kEchoRequest = 128;
constexpr std::uint8_t kEchoReply = 129;

// An echo request with identifier `id`, sequence `seq` and a fixed payload
// naming us (tcpdump shows who probes).
std::vector<std::uint8_t> echo_request(std::uint16_t id, std::uint16_t seq);

struct EchoReply {
  std::uint16_t id;
  std::uint16_t seq;
};

// The identifier and sequence of an echo reply (type 129, code 0, at least
// the 8-byte header); nullopt for anything else.
std::optional<EchoReply> parse_echo_reply(std::span<const std::uint8_t> message);

// UDP probes carry the bytes of echo_request(id, seq) to an echo service
// (RFC 862), which sends them back unchanged: the sequence of a datagram
// that is exactly such a request with identifier `id`, nullopt otherwise.
std::optional<std::uint16_t> parse_udp_echo(std::span<const std::uint8_t> datagram, std::uint16_t id);

}  // namespace gn::health
