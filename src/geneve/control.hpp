#pragma once
// Framing of control messages. A control message travels as an ordinary
// GENEVE data packet (protocol 0x6558) whose inner Ethernet frame has
// EtherType 0x88B5 (IEEE 802 local experimental), the destination MAC
// kControlMac and the magic "GN64". Carrying control inside the data framing,
// not in a separate port or with the O bit, means it crosses every NAT by the
// very mapping the data uses and passes through a kernel GENEVE device
// unchanged (docs/protocol.md, "Control messages").
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/protocol.hpp"

namespace gn::geneve {

inline constexpr std::uint16_t kControlEtherType = 0x88b5;
// Locally administered group address: no real station has it, bridges flood
// rather than learn it, and hosts not listening for it discard it.
inline constexpr std::array<std::uint8_t, 6> kControlMac = {0x03, 0x47, 0x4e, 0x36, 0x34, 0x00};
inline constexpr std::array<std::uint8_t, 4> kControlMagic = {'G', 'N', '6', '4'};
inline constexpr std::uint8_t kControlVersion = 1;
// Ethernet header + magic(4) + version(1) + type(1) + body length(2).
inline constexpr std::size_t kControlHeaderLen = net::kEthernetHeaderLen + 8;

struct ControlFrame {
  std::uint8_t version = 0;
  std::uint8_t type = 0;
  std::span<const std::uint8_t> body;
};

// True if an inner Ethernet frame is a control message by its framing (MAC,
// EtherType, magic); the message itself may still be malformed.
bool is_control_frame(std::span<const std::uint8_t> frame);

// Parses a control frame; nullopt if it is not one or its body length runs
// past the frame.
std::optional<ControlFrame> parse_control(std::span<const std::uint8_t> frame);

}  // namespace gn::geneve
