// The control channel's pure parts: the packet socket's classic BPF filter
// (run here by libpcap's interpreter, the same instruction set the kernel
// runs) and the outer IP/UDP headers we parse and build.
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include <vector>

#include "dataplane/control_filter.hpp"
#include "dataplane/outer_packet.hpp"
#include "geneve/codec.hpp"
#include "geneve/control.hpp"
#include "net/checksum.hpp"

namespace gn::dataplane {
namespace {

using Bytes = std::vector<std::uint8_t>;

net::Endpoint E(const char* a, std::uint16_t port) {
  return net::Endpoint{*net::IpAddress::parse(a), port};
}

// An inner Ethernet frame of `ethertype` with a small body.
Bytes frame(std::uint16_t ethertype) {
  Bytes f(14 + 40, 0x5a);
  f[12] = static_cast<std::uint8_t>(ethertype >> 8);
  f[13] = static_cast<std::uint8_t>(ethertype);
  return f;
}

Bytes packet(const net::Endpoint& from, const net::Endpoint& to, std::uint16_t ethertype, bool route_option) {
  geneve::HeaderBuilder h(42);
  if (route_option) h.add_route(geneve::OptionId{}, geneve::Nat64Route{to.address.bytes(), to.port});
  auto header = h.bytes();
  Bytes inner = frame(ethertype);
  std::array<std::uint8_t, outer::kMaxHeadersLen> hdr;
  std::size_t n = outer::build_udp_headers(from, to, 64, header, inner, hdr);
  Bytes p(hdr.begin(), hdr.begin() + static_cast<std::ptrdiff_t>(n));
  p.insert(p.end(), header.begin(), header.end());
  p.insert(p.end(), inner.begin(), inner.end());
  return p;
}

bool passes(const std::vector<sock_filter>& prog, const Bytes& p) {
  // sock_filter and bpf_insn are the same four fields.
  static_assert(sizeof(sock_filter) == sizeof(bpf_insn));
  const auto* insns = reinterpret_cast<const bpf_insn*>(prog.data());
  return bpf_filter(insns, p.data(), static_cast<u_int>(p.size()), static_cast<u_int>(p.size())) != 0;
}

TEST(ControlFilter, PassesControlMessagesOnlyOnBothFamilies) {
  const auto prog = control_filter(6081);
  auto v6 = packet(E("2001:db8::1", 40000), E("2001:db8::2", 6081), geneve::kControlEtherType, true);
  auto v6plain = packet(E("2001:db8::1", 40000), E("2001:db8::2", 6081), geneve::kControlEtherType, false);
  auto v4 = packet(E("192.0.2.1", 40000), E("192.0.2.2", 6081), geneve::kControlEtherType, false);
  EXPECT_TRUE(passes(prog, v6));
  EXPECT_TRUE(passes(prog, v6plain));
  EXPECT_TRUE(passes(prog, v4));
  // Data, another port, a GENEVE version we do not speak: refused.
  EXPECT_FALSE(passes(prog, packet(E("2001:db8::1", 40000), E("2001:db8::2", 6081), 0x86dd, true)));
  EXPECT_FALSE(passes(prog, packet(E("192.0.2.1", 40000), E("192.0.2.2", 6081), 0x0800, false)));
  EXPECT_FALSE(passes(prog, packet(E("2001:db8::1", 6081), E("2001:db8::2", 6082), geneve::kControlEtherType, true)));
  EXPECT_TRUE(passes(control_filter(6082),
                     packet(E("2001:db8::1", 1), E("2001:db8::2", 6082), geneve::kControlEtherType, true)));
  Bytes v1 = v6;
  v1[40 + 8] |= 0x40;
  EXPECT_FALSE(passes(prog, v1));
  // Every truncation is refused (a load past the end ends the program).
  for (std::size_t n = 0; n < v6.size(); ++n) {
    Bytes cut(v6.begin(), v6.begin() + static_cast<std::ptrdiff_t>(n));
    if (n < 40 + 8 + 32 + 14) {
      EXPECT_FALSE(passes(prog, cut)) << n;
    }
  }
}

TEST(ControlFilter, FollowsIpv4OptionsAndRefusesFragments) {
  const auto prog = control_filter(6081);
  auto v4 = packet(E("192.0.2.1", 40000), E("192.0.2.2", 6081), geneve::kControlEtherType, true);
  // Four bytes of IPv4 options (NOPs): IHL 6.
  Bytes opt(v4.begin(), v4.begin() + 20);
  opt[0] = 0x46;
  opt.insert(opt.end(), {1, 1, 1, 1});
  opt.insert(opt.end(), v4.begin() + 20, v4.end());
  EXPECT_TRUE(passes(prog, opt));
  Bytes frag = v4;
  frag[6] |= 0x20;  // more fragments
  EXPECT_FALSE(passes(prog, frag));
}

TEST(OuterPacket, BuildThenParseRoundTrips) {
  for (auto [from, to] : {std::pair{E("2001:db8::1", 40000), E("2001:db8::2", 6081)},
                          std::pair{E("192.0.2.1", 40000), E("192.0.2.2", 6081)}}) {
    auto p = packet(from, to, geneve::kControlEtherType, true);
    outer::Datagram d;
    ASSERT_EQ(outer::parse_udp(p, d), outer::ParseError::kOk) << from.to_string();
    EXPECT_EQ(d.from, from);
    EXPECT_EQ(d.to, to);
    EXPECT_EQ(d.payload.size(), 32u + 54u);
    // Link padding past the IP length is ignored.
    Bytes padded = p;
    padded.resize(p.size() + 6, 0);
    EXPECT_EQ(outer::parse_udp(padded, d), outer::ParseError::kOk);
    // Any flipped payload byte fails the checksum.
    Bytes bad = p;
    bad.back() ^= 1;
    EXPECT_EQ(outer::parse_udp(bad, d), outer::ParseError::kBadChecksum);
    for (std::size_t n = 0; n < p.size(); ++n) {
      Bytes cut(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_NE(outer::parse_udp(cut, d), outer::ParseError::kOk) << n;
    }
  }
}

// A packet from another namespace of this host with transmit offload on
// carries only the pseudo-header sum (CHECKSUM_PARTIAL); NFLOG copies it so.
TEST(OuterPacket, PartialChecksumOnlyWhenAsked) {
  for (auto [from, to] : {std::pair{E("2001:db8::1", 40000), E("2001:db8::2", 6081)},
                          std::pair{E("192.0.2.1", 40000), E("192.0.2.2", 6081)}}) {
    auto p = packet(from, to, geneve::kControlEtherType, true);
    const std::size_t udp = from.address.is_v4() ? 20 : 40;
    const auto len = static_cast<std::uint32_t>(p.size() - udp);
    const std::uint64_t pseudo =
        from.address.is_v4() ? checksum::pseudo_v4(from.address.v4_bytes(), to.address.v4_bytes(), net::kProtoUdp, len)
                             : checksum::pseudo_v6(from.address.bytes(), to.address.bytes(), net::kProtoUdp, len);
    const std::uint16_t partial = checksum::fold(pseudo);
    p[udp + 6] = static_cast<std::uint8_t>(partial >> 8);
    p[udp + 7] = static_cast<std::uint8_t>(partial);
    outer::Datagram d;
    EXPECT_EQ(outer::parse_udp(p, d), outer::ParseError::kBadChecksum);
    ASSERT_EQ(outer::parse_udp(p, d, outer::ChecksumPolicy::kVerifyOrPartial), outer::ParseError::kOk);
    EXPECT_TRUE(d.checksum_partial);
    // Any other wrong value is still wrong.
    p[udp + 7] ^= 1;
    EXPECT_EQ(outer::parse_udp(p, d, outer::ChecksumPolicy::kVerifyOrPartial), outer::ParseError::kBadChecksum);
  }
}

TEST(OuterPacket, ZeroChecksumOnlyOverIpv4) {
  auto v4 = packet(E("192.0.2.1", 40000), E("192.0.2.2", 6081), geneve::kControlEtherType, false);
  v4[20 + 6] = v4[20 + 7] = 0;
  outer::Datagram d;
  EXPECT_EQ(outer::parse_udp(v4, d), outer::ParseError::kOk);
  auto v6 = packet(E("2001:db8::1", 40000), E("2001:db8::2", 6081), geneve::kControlEtherType, false);
  v6[40 + 6] = v6[40 + 7] = 0;
  EXPECT_EQ(outer::parse_udp(v6, d), outer::ParseError::kBadChecksum);
  Bytes tcp = v4;
  tcp[9] = 6;
  EXPECT_EQ(outer::parse_udp(tcp, d), outer::ParseError::kNotUdp);
}

}  // namespace
}  // namespace gn::dataplane
