#include "health/echo.hpp"

#include <algorithm>
#include <string_view>

namespace gn::health {

std::vector<std::uint8_t> echo_request(std::uint16_t id, std::uint16_t seq) {
  constexpr std::string_view kPayload = "geneve-nat64-health probe";
  std::vector<std::uint8_t> m(8 + kPayload.size(), 0);
  m[0] = kEchoRequest;
  m[4] = static_cast<std::uint8_t>(id >> 8);
  m[5] = static_cast<std::uint8_t>(id);
  m[6] = static_cast<std::uint8_t>(seq >> 8);
  m[7] = static_cast<std::uint8_t>(seq);
  std::copy(kPayload.begin(), kPayload.end(), m.begin() + 8);
  return m;
}

std::optional<EchoReply> parse_echo_reply(std::span<const std::uint8_t> message) {
  if (message.size() < 8 || message[0] != kEchoReply || message[1] != 0) return std::nullopt;
  return EchoReply{static_cast<std::uint16_t>(message[4] << 8 | message[5]),
                   static_cast<std::uint16_t>(message[6] << 8 | message[7])};
}

std::optional<std::uint16_t> parse_udp_echo(std::span<const std::uint8_t> datagram, std::uint16_t id) {
  if (datagram.size() < 8) return std::nullopt;
  const auto seq = static_cast<std::uint16_t>(datagram[6] << 8 | datagram[7]);
  const auto want = echo_request(id, seq);
  if (!std::equal(datagram.begin(), datagram.end(), want.begin(), want.end())) return std::nullopt;
  return seq;
}

}  // namespace gn::health
