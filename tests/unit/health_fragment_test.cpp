// The dns64 fragment: the exact text BIND reads, which prefixes are listed
// (never none while any is configured), and the list entries accepted.
#include <gtest/gtest.h>

#include "health/echo.hpp"
#include "health/fragment.hpp"
#include "util/error.hpp"

namespace gn::health {
namespace {

TEST(Fragment, ExactText) {
  const Dns64Lists lists{{"any"}, {"::/3", "4000::/2", "8000::/1", "2001:db8::/32"}};
  EXPECT_EQ(render_fragment({"2001:db8:64:a::/96", "2001:db8:64:b::/96"}, lists),
            "// Written by geneve-nat64-health: the NAT64 prefixes that answer probes. Do not edit; it is "
            "rewritten.\n"
            "dns64 2001:db8:64:a::/96 {\n"
            "\tclients { any; };\n"
            "\texclude { ::/3; 4000::/2; 8000::/1; 2001:db8::/32; };\n"
            "};\n"
            "dns64 2001:db8:64:b::/96 {\n"
            "\tclients { any; };\n"
            "\texclude { ::/3; 4000::/2; 8000::/1; 2001:db8::/32; };\n"
            "};\n");
}

TEST(Fragment, NoExcludeListNoExcludeLine) {
  EXPECT_EQ(render_fragment({"2001:db8:64::/96"}, Dns64Lists{{"2001:db8:d::/64", "!2001:db8:d::66"}, {}}),
            "// Written by geneve-nat64-health: the NAT64 prefixes that answer probes. Do not edit; it is "
            "rewritten.\n"
            "dns64 2001:db8:64::/96 {\n"
            "\tclients { 2001:db8:d::/64; !2001:db8:d::66; };\n"
            "};\n");
}

TEST(Fragment, DeadPrefixesAreLeftOutUnknownOnesStay) {
  const std::vector<PrefixState> s = {{"2001:db8:64:a::/96", Health::kDead},
                                      {"2001:db8:64:b::/96", Health::kAlive},
                                      {"2001:db8:64:c::/96", Health::kUnknown}};
  EXPECT_EQ(listed_prefixes(s), (std::vector<std::string>{"2001:db8:64:b::/96", "2001:db8:64:c::/96"}));
}

TEST(Fragment, AllDeadListsAllFailOpen) {
  const std::vector<PrefixState> s = {{"2001:db8:64:a::/96", Health::kDead}, {"2001:db8:64:b::/96", Health::kDead}};
  EXPECT_EQ(listed_prefixes(s), (std::vector<std::string>{"2001:db8:64:a::/96", "2001:db8:64:b::/96"}));
  EXPECT_TRUE(listed_prefixes({}).empty());
}

TEST(Fragment, ClientsElements) {
  EXPECT_EQ(client_element("any"), "any");
  EXPECT_EQ(client_element("!localnets"), "!localnets");
  EXPECT_EQ(client_element("2001:DB8::1"), "2001:db8::1");
  EXPECT_EQ(client_element("192.0.2.0/24"), "192.0.2.0/24");
  EXPECT_EQ(client_element("!2001:db8:d::/64"), "!2001:db8:d::/64");
  for (const char* bad :
       {"", "!", "anyone", "192.0.2.1/24", "2001:db8::/129", "any; }; include \"/etc/x\"", "{ any; }"}) {
    try {
      client_element(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(Fragment, ExcludeElements) {
  EXPECT_EQ(exclude_element("0::/3"), "::/3");
  EXPECT_EQ(exclude_element("2001:DB8::/32"), "2001:db8::/32");
  for (const char* bad : {"192.0.2.0/24", "2001:db8::1", "2001:db8::1/32", "8000::/1;", "x"})
    EXPECT_THROW(exclude_element(bad), UsageError) << bad;
}

TEST(Echo, RequestAndReply) {
  const auto m = echo_request(0x1234, 0xabcd);
  ASSERT_GE(m.size(), 8u);
  EXPECT_EQ(m[0], 128);
  EXPECT_EQ(m[1], 0);
  EXPECT_EQ(m[4], 0x12);
  EXPECT_EQ(m[5], 0x34);
  EXPECT_EQ(m[6], 0xab);
  EXPECT_EQ(m[7], 0xcd);
  std::vector<std::uint8_t> reply = m;
  reply[0] = 129;
  const auto r = parse_echo_reply(reply);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 0x1234);
  EXPECT_EQ(r->seq, 0xabcd);
  EXPECT_FALSE(parse_echo_reply(m));                          // a request
  EXPECT_FALSE(parse_echo_reply(std::span(reply).first(7)));  // short
  reply[1] = 1;
  EXPECT_FALSE(parse_echo_reply(reply));  // code must be 0
}

TEST(Echo, UdpEchoIsTheRequestBack) {
  const auto m = echo_request(0x1234, 7);
  EXPECT_EQ(parse_udp_echo(m, 0x1234), 7);
  EXPECT_FALSE(parse_udp_echo(m, 0x1235));  // another socket's identifier
  auto changed = m;
  changed.back() ^= 1;
  EXPECT_FALSE(parse_udp_echo(changed, 0x1234));  // not what we sent
  EXPECT_FALSE(parse_udp_echo(std::span(m).first(m.size() - 1), 0x1234));
  EXPECT_FALSE(parse_udp_echo(std::span(m).first(4), 0x1234));
}

}  // namespace
}  // namespace gn::health
