// RFC 7915 ICMP type/code mapping and the PTB <-> Fragmentation Needed MTU
// arithmetic (sections 4.2 and 5.2).
#include <gtest/gtest.h>

#include "nat64/icmp_map.hpp"

namespace gn::nat64 {
namespace {

TEST(Nat64IcmpMap, FragmentationNeededToPacketTooBig) {
  // min(advertised + 20, IPv6 MTU), at least 1280.
  EXPECT_EQ(ptb_mtu_for_frag_needed(1400, 1500, 1500), 1420u);
  EXPECT_EQ(ptb_mtu_for_frag_needed(1480, 1500, 1500), 1500u);  // capped by our IPv6 MTU
  EXPECT_EQ(ptb_mtu_for_frag_needed(9000, 9000, 1500), 1500u);
  EXPECT_EQ(ptb_mtu_for_frag_needed(576, 1000, 1500), 1280u);   // 596 < 1280: hosts ignore it, so 1280
  // Advertised 0 (pre-RFC 1191 router): greatest plateau below the original length.
  EXPECT_EQ(ptb_mtu_for_frag_needed(0, 1500, 9000), 1492u + 20u);
  EXPECT_EQ(ptb_mtu_for_frag_needed(0, 4400, 9000), 4352u + 20u);
  EXPECT_EQ(ptb_mtu_for_frag_needed(0, 1400, 9000), 1280u);     // 1006 + 20 -> 1280
}

TEST(Nat64IcmpMap, PacketTooBigToFragmentationNeeded) {
  // min(advertised - 20, IPv4 MTU, IPv6 MTU - 20), 68..65535.
  EXPECT_EQ(frag_needed_mtu_for_ptb(1400, 1500), 1380u);
  EXPECT_EQ(frag_needed_mtu_for_ptb(1280, 1500), 1260u);
  EXPECT_EQ(frag_needed_mtu_for_ptb(9000, 1500), 1480u);
  EXPECT_EQ(frag_needed_mtu_for_ptb(50, 1500), 68u);
  EXPECT_EQ(frag_needed_mtu_for_ptb(0xffffffffu, 70000), 65535u);
}

TEST(Nat64IcmpMap, Icmp4ToIcmp6) {
  auto m = [](int type, int code, std::uint32_t rest = 0) {
    return map_icmp4_error(static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code), rest, 1500, 1500);
  };
  EXPECT_EQ(m(3, 0), (IcmpErrorHeader{1, 0, 0}));
  EXPECT_EQ(m(3, 1), (IcmpErrorHeader{1, 0, 0}));
  EXPECT_EQ(m(3, 2), (IcmpErrorHeader{4, 1, 6}));   // protocol unreachable -> pointer to Next Header
  EXPECT_EQ(m(3, 3), (IcmpErrorHeader{1, 4, 0}));   // port unreachable
  EXPECT_EQ(m(3, 4, 1400), (IcmpErrorHeader{2, 0, 1420}));
  EXPECT_EQ(m(3, 9), (IcmpErrorHeader{1, 1, 0}));
  EXPECT_EQ(m(3, 13), (IcmpErrorHeader{1, 1, 0}));
  EXPECT_FALSE(m(3, 14));
  EXPECT_EQ(m(11, 0), (IcmpErrorHeader{3, 0, 0}));
  EXPECT_EQ(m(11, 1), (IcmpErrorHeader{3, 1, 0}));
  EXPECT_EQ(m(12, 0, 8u << 24), (IcmpErrorHeader{4, 0, 7}));    // TTL -> hop limit
  EXPECT_EQ(m(12, 0, 16u << 24), (IcmpErrorHeader{4, 0, 24}));  // destination address
  EXPECT_FALSE(m(12, 0, 10u << 24));                           // header checksum: no IPv6 counterpart
  EXPECT_FALSE(m(4, 0));   // source quench
  EXPECT_FALSE(m(5, 0));   // redirect
}

TEST(Nat64IcmpMap, Icmp6ToIcmp4) {
  auto m = [](int type, int code, std::uint32_t rest = 0) {
    return map_icmp6_error(static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code), rest, 1500);
  };
  EXPECT_EQ(m(1, 0), (IcmpErrorHeader{3, 1, 0}));
  EXPECT_EQ(m(1, 1), (IcmpErrorHeader{3, 10, 0}));
  EXPECT_EQ(m(1, 3), (IcmpErrorHeader{3, 1, 0}));
  EXPECT_EQ(m(1, 4), (IcmpErrorHeader{3, 3, 0}));
  EXPECT_FALSE(m(1, 5));
  EXPECT_EQ(m(2, 0, 1400), (IcmpErrorHeader{3, 4, 1380}));
  EXPECT_EQ(m(3, 0), (IcmpErrorHeader{11, 0, 0}));
  EXPECT_EQ(m(4, 1), (IcmpErrorHeader{3, 2, 0}));                 // unrecognised next header
  EXPECT_EQ(m(4, 0, 7), (IcmpErrorHeader{12, 0, 8u << 24}));      // hop limit -> TTL
  EXPECT_EQ(m(4, 0, 30), (IcmpErrorHeader{12, 0, 16u << 24}));    // destination
  EXPECT_FALSE(m(4, 0, 2));                                       // flow label
  EXPECT_FALSE(m(4, 2));
  EXPECT_FALSE(m(133, 0));
}

}  // namespace
}  // namespace gn::nat64
