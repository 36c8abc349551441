// GENEVE codec: every validation rule of docs/protocol.md section 2 and 7,
// the routing option layout of section 3, and the builder.
#include "geneve/codec.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "geneve/control.hpp"

namespace gn::geneve {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes concat(std::span<const std::uint8_t> a, const Bytes& b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

const Bytes kFrame = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0};

Nat64Route route_b() {
  Nat64Route r;
  r.address = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  r.port = 6081;
  return r;
}

TEST(Codec, BuildsTheSpecExampleByteForByte) {
  // docs/protocol.md section 3, "Example".
  HeaderBuilder h(42);
  h.add_route(OptionId{}, route_b());
  const Bytes expected = {0x06, 0x00, 0x65, 0x58, 0x00, 0x00, 0x2a, 0x00, 0x01, 0x62, 0x01,
                          0x05, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x17, 0xc1, 0xff, 0xff};
  EXPECT_EQ(Bytes(h.bytes().begin(), h.bytes().end()), expected);
}

TEST(Codec, ParsesWhatItBuilds) {
  HeaderBuilder h(0xabcdef);
  h.add_route(OptionId{}, route_b());
  Bytes d = concat(h.bytes(), kFrame);
  Packet p;
  ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
  EXPECT_EQ(p.version, 0);
  EXPECT_EQ(p.vni, 0xabcdefu);
  EXPECT_EQ(p.protocol, kProtoEthernet);
  EXPECT_FALSE(p.oam);
  EXPECT_FALSE(p.critical_flag);
  EXPECT_EQ(p.options.size(), kRouteOptionLen);
  EXPECT_EQ(p.route_state, RouteState::kPresent);
  EXPECT_EQ(p.route, route_b());
  EXPECT_EQ(Bytes(p.payload.begin(), p.payload.end()), kFrame);
  // Views point into the datagram: no copy was made.
  EXPECT_EQ(p.payload.data(), d.data() + 8 + kRouteOptionLen);
}

TEST(Codec, NoOptions) {
  HeaderBuilder h(7);
  Bytes d = concat(h.bytes(), kFrame);
  Packet p;
  ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
  EXPECT_EQ(p.route_state, RouteState::kAbsent);
  EXPECT_TRUE(p.options.empty());
  EXPECT_EQ(d[0], 0);  // Opt Len 0
}

TEST(Codec, HeaderOnlyDatagramHasEmptyPayload) {
  HeaderBuilder h(7);
  Bytes d(h.bytes().begin(), h.bytes().end());
  Packet p;
  ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
  EXPECT_TRUE(p.payload.empty());
}

TEST(Codec, ConfigurableOptionId) {
  OptionId other{0x0123, 0x42};
  HeaderBuilder h(1);
  h.add_route(other, route_b());
  Bytes d = concat(h.bytes(), kFrame);
  Packet p;
  ASSERT_EQ(parse(d, other, p), ParseError::kOk);
  EXPECT_EQ(p.route_state, RouteState::kPresent);
  ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);  // unknown, non-critical: skipped
  EXPECT_EQ(p.route_state, RouteState::kAbsent);
}

struct Malformed {
  const char* name;
  Bytes datagram;
  ParseError expected;
};

class MalformedTable : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedTable, IsRejectedWithTheRightReason) {
  Packet p;
  EXPECT_EQ(parse(GetParam().datagram, OptionId{}, p), GetParam().expected) << GetParam().name;
}

Bytes valid_with_route() {
  HeaderBuilder h(42);
  h.add_route(OptionId{}, route_b());
  return concat(h.bytes(), kFrame);
}

Bytes with(Bytes b, std::size_t at, std::uint8_t value) {
  b.at(at) = value;
  return b;
}

Bytes truncated(Bytes b, std::size_t len) {
  b.resize(len);
  return b;
}

INSTANTIATE_TEST_SUITE_P(
    Codec, MalformedTable,
    ::testing::Values(
        Malformed{"empty", {}, ParseError::kTruncated},
        Malformed{"7 bytes", {0, 0, 0x65, 0x58, 0, 0, 1}, ParseError::kTruncated},
        Malformed{"version 1", with(valid_with_route(), 0, 0x46), ParseError::kBadVersion},
        Malformed{"version 3", with(valid_with_route(), 0, 0xc6), ParseError::kBadVersion},
        // Opt Len says 6 words but only the base header and 2 bytes are present.
        Malformed{"options cut short", truncated(valid_with_route(), 10), ParseError::kOptionsTruncated},
        // Opt Len 63 words (252 bytes) in a 50-byte datagram.
        Malformed{"opt_len too large", with(valid_with_route(), 0, 0x3f), ParseError::kOptionsTruncated},
        // Option Length 6 words, but the options area holds 5 words of data.
        Malformed{"option length past end", with(valid_with_route(), 11, 0x06), ParseError::kOptionOverrun},
        // Option Length 31 (max) in a 6-word area.
        Malformed{"option length 31", with(valid_with_route(), 11, 0x1f), ParseError::kOptionOverrun},
        // Opt Len 1 word: the area is too small for the route option's data.
        Malformed{"area smaller than option", with(valid_with_route(), 0, 0x01), ParseError::kOptionOverrun},
        // Type 0x81 in class 0x0162: critical and unknown.
        Malformed{"critical unknown option", with(valid_with_route(), 10, 0x81), ParseError::kUnknownCritical}));

TEST(Codec, OptionHeaderSplitAcrossEndOfArea) {
  // Opt Len 1: four bytes that hold an option header of length 0: valid.
  Bytes d = {0x01, 0, 0x65, 0x58, 0, 0, 1, 0, 0x01, 0x62, 0x7f, 0x00};
  Packet p;
  EXPECT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
  // The same four bytes cut to two by a shorter options area cannot happen
  // (areas are whole words), but a 2-byte tail inside a larger area can:
  Bytes e = {0x02, 0, 0x65, 0x58, 0, 0, 1, 0, 0x01, 0x62, 0x7f, 0x00, 0x01, 0x62, 0x7f, 0x01};
  EXPECT_EQ(parse(e, OptionId{}, p), ParseError::kOptionOverrun);
}

TEST(Codec, UnknownNonCriticalOptionIsSkipped) {
  HeaderBuilder h(42);
  const Bytes data = {1, 2, 3, 4, 5};
  h.add_option(0x0999, 0x10, data);
  h.add_route(OptionId{}, route_b());
  Bytes d = concat(h.bytes(), kFrame);
  Packet p;
  ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
  EXPECT_EQ(p.route_state, RouteState::kPresent);
  int count = 0;
  EXPECT_EQ(for_each_option(p.options,
                            [&](const OptionView& o) {
                              if (count++ == 0) {
                                EXPECT_EQ(o.option_class, 0x0999);
                                EXPECT_EQ(o.data.size(), 8u);  // 5 bytes padded to 8
                                EXPECT_EQ(o.data[5], 0xff);    // 0xff padding
                              }
                            }),
            ParseError::kOk);
  EXPECT_EQ(count, 2);
}

TEST(Codec, CriticalOptionSetsTheCBit) {
  HeaderBuilder h(42);
  h.add_option(0x0162, 0x81, Bytes{});
  EXPECT_EQ(h.bytes()[1] & 0x40, 0x40);
  Packet p;
  Bytes d = concat(h.bytes(), kFrame);
  EXPECT_EQ(parse(d, OptionId{}, p), ParseError::kUnknownCritical);
}

TEST(Codec, CriticalRouteIdIsKnownAndAccepted) {
  // If an operator configures a critical type, we understand it: accept.
  OptionId critical{0x0162, 0x85};
  HeaderBuilder h(42);
  h.add_route(critical, route_b());
  Bytes d = concat(h.bytes(), kFrame);
  Packet p;
  EXPECT_EQ(parse(d, critical, p), ParseError::kOk);
  EXPECT_EQ(p.route_state, RouteState::kPresent);
}

TEST(Codec, MalformedAndDuplicateRouteOptions) {
  const Bytes short_data = {0x20, 0x01, 0x0d, 0xb8};
  {
    HeaderBuilder h(42);
    h.add_option(0x0162, 0x01, short_data);  // 1 word: too short
    Bytes d = concat(h.bytes(), kFrame);
    Packet p;
    ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
    EXPECT_EQ(p.route_state, RouteState::kMalformed);
  }
  {
    HeaderBuilder h(42);
    h.add_route(OptionId{}, route_b());
    auto other = route_b();
    other.address[15] = 2;
    h.add_route(OptionId{}, other);
    Bytes d = concat(h.bytes(), kFrame);
    Packet p;
    ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
    EXPECT_EQ(p.route_state, RouteState::kDuplicate);
  }
  {
    // Longer data (Length 6) is valid: room for later fields.
    Bytes data(24, 0xee);
    const Nat64Route r = route_b();
    std::copy(r.address.begin(), r.address.end(), data.begin());
    data[16] = 0x17;
    data[17] = 0xc1;
    HeaderBuilder h(42);
    h.add_option(0x0162, 0x01, data);
    Bytes d = concat(h.bytes(), kFrame);
    Packet p;
    ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
    EXPECT_EQ(p.route_state, RouteState::kPresent);
    EXPECT_EQ(p.route, route_b());
  }
}

TEST(Codec, ReservedBitsAreIgnoredOnReceipt) {
  Bytes d = valid_with_route();
  d[1] |= 0x3f;  // Rsvd
  d[7] = 0xff;   // Reserved after VNI
  Packet p;
  EXPECT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
  EXPECT_EQ(p.vni, 42u);
}

TEST(Codec, OamBit) {
  HeaderBuilder h(3);
  h.oam(true);
  EXPECT_EQ(h.bytes()[1], 0x80);
  Bytes d = concat(h.bytes(), kFrame);
  Packet p;
  ASSERT_EQ(parse(d, OptionId{}, p), ParseError::kOk);
  EXPECT_TRUE(p.oam);
}

TEST(Codec, BuilderLimits) {
  EXPECT_THROW(HeaderBuilder(kMaxVni + 1), std::out_of_range);
  HeaderBuilder h(1);
  EXPECT_THROW(h.add_option(1, 1, Bytes(125, 0)), std::length_error);
  // 252 bytes of options fit: two 124-byte options (2 * 128 = 256) do not.
  h.add_option(1, 1, Bytes(124, 0));
  EXPECT_THROW(h.add_option(1, 1, Bytes(124, 0)), std::length_error);
  h.add_option(1, 1, Bytes(120, 0));  // 128 + 124 = 252: exactly full
  EXPECT_EQ(h.bytes().size(), kMaxHeaderLen);
  EXPECT_EQ(h.bytes()[0], 63);
}

TEST(Codec, EveryPrefixOfAValidPacketIsRejectedOrShorter) {
  // Truncation at every length never reads past the end (ASan checks) and
  // never reports success with options that are not there.
  Bytes d = valid_with_route();
  for (std::size_t len = 0; len < 8 + kRouteOptionLen; ++len) {
    Packet p;
    Bytes cut(d.begin(), d.begin() + static_cast<long>(len));
    EXPECT_NE(parse(cut, OptionId{}, p), ParseError::kOk) << len;
  }
}

TEST(Control, Framing) {
  Bytes f(kControlMac.begin(), kControlMac.end());
  f.insert(f.end(), 6, 0);
  f.push_back(0x88);
  f.push_back(0xb5);
  f.insert(f.end(), kControlMagic.begin(), kControlMagic.end());
  f.insert(f.end(), {1, 7, 0, 3, 'a', 'b', 'c'});
  ASSERT_TRUE(is_control_frame(f));
  auto c = parse_control(f);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->version, 1);
  EXPECT_EQ(c->type, 7);
  EXPECT_EQ(c->body.size(), 3u);
  f[21] = 4;  // body length past the frame
  EXPECT_FALSE(parse_control(f));
  f[12] = 0x86;  // another EtherType: a data frame
  EXPECT_FALSE(is_control_frame(f));
  EXPECT_FALSE(is_control_frame(kFrame));
}

}  // namespace
}  // namespace gn::geneve
