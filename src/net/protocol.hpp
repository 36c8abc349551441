#pragma once
// Wire constants of the protocols the project parses and builds (Ethernet,
// IPv4, IPv6, UDP, TCP, ICMP): the one place they are spelled. Constants of
// our own framing live with it (geneve/codec.hpp, geneve/control.hpp).
#include <cstddef>
#include <cstdint>

namespace gn::net {

// Header lengths: Ethernet without VLAN tags; the IPv4 and TCP ones are the
// minimum (no options).
inline constexpr std::size_t kEthernetHeaderLen = 14;
inline constexpr std::size_t kIpv4HeaderLen = 20;
inline constexpr std::size_t kIpv6HeaderLen = 40;
inline constexpr std::size_t kUdpHeaderLen = 8;
inline constexpr std::size_t kTcpHeaderLen = 20;
inline constexpr std::size_t kIcmpHeaderLen = 8;  // ICMPv4 and ICMPv6 alike
inline constexpr std::size_t kFragmentHeaderLen = 8;  // IPv6 Fragment extension header

// EtherTypes.
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;

// ARP for IPv4 over Ethernet (RFC 826): the packet's length and the offsets
// of the sender's and target's protocol (IPv4) addresses in it.
inline constexpr std::size_t kArpIpv4Len = 28;
inline constexpr std::size_t kArpSenderIpOffset = 14;
inline constexpr std::size_t kArpTargetIpOffset = 24;

// ICMPv6 types (RFC 4443, 4861, 2710, 3810).
inline constexpr std::uint8_t kIcmp6MldQuery = 130;
inline constexpr std::uint8_t kIcmp6MldReport = 131;
inline constexpr std::uint8_t kIcmp6MldDone = 132;
inline constexpr std::uint8_t kIcmp6RouterSolicitation = 133;
inline constexpr std::uint8_t kIcmp6RouterAdvertisement = 134;
inline constexpr std::uint8_t kIcmp6NeighborSolicitation = 135;
inline constexpr std::uint8_t kIcmp6NeighborAdvertisement = 136;
inline constexpr std::uint8_t kIcmp6Redirect = 137;
inline constexpr std::uint8_t kIcmp6Mld2Report = 143;

// IP protocol numbers (IPv4 Protocol, IPv6 Next Header).
inline constexpr std::uint8_t kProtoHopByHop = 0;
inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoRouting = 43;
inline constexpr std::uint8_t kProtoFragment = 44;
inline constexpr std::uint8_t kProtoIcmp6 = 58;
inline constexpr std::uint8_t kProtoDestOptions = 60;

}  // namespace gn::net
