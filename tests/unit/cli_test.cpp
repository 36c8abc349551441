#include "config/cli.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace gn::config {
namespace {

using Args = std::vector<std::string>;

Args base() {
  return {"42", "2001:db8:a::1", "2001:db8:64::203.0.113.90", "2001:db8:b::1"};
}

TEST(Cli, SeedExampleParses) {
  auto r = parse_symmetric(base());
  ASSERT_EQ(r.action, ParseResult::Action::kRun);
  EXPECT_EQ(r.config.vni, 42u);
  EXPECT_EQ(r.config.local.to_string(), "2001:db8:a::1");
  EXPECT_EQ(r.config.path.to_string(), "2001:db8:64::cb00:715a");
  EXPECT_EQ(r.config.remote.to_string(), "2001:db8:b::1");
  EXPECT_EQ(r.config.port, 6081);
  EXPECT_EQ(r.config.source_port, 6081);
  EXPECT_TRUE(r.config.route_option);
}

TEST(Cli, Options) {
  Args a = base();
  a.insert(a.end(), {"--ifname", "tun-a", "--mtu=1400", "--port", "7000", "--option-class", "0x0163", "--option-type",
                     "5", "--address", "fd00::1/64", "--dataplane", "userspace"});
  auto r = parse_symmetric(a);
  EXPECT_EQ(r.config.ifname, "tun-a");
  EXPECT_EQ(r.config.mtu, 1400u);
  EXPECT_EQ(r.config.port, 7000);
  EXPECT_EQ(r.config.source_port, 7000);  // follows --port unless given
  EXPECT_EQ(r.config.option_id.option_class, 0x0163);
  EXPECT_EQ(r.config.option_id.type, 5);
  EXPECT_EQ(r.config.addresses, Args{"fd00::1/64"});
  EXPECT_EQ(r.config.dataplane, Dataplane::kUserspace);
  a.insert(a.end(), {"--source-port", "4000"});
  EXPECT_EQ(parse_symmetric(a).config.source_port, 4000);
}

TEST(Cli, HelpAndVersion) {
  EXPECT_EQ(parse_symmetric({"--help"}).action, ParseResult::Action::kHelp);
  EXPECT_EQ(parse_symmetric({"-h"}).action, ParseResult::Action::kHelp);
  EXPECT_EQ(parse_symmetric({"--version"}).action, ParseResult::Action::kVersion);
}

struct Bad {
  Args args;
  const char* message_part;
};

class BadArgs : public ::testing::TestWithParam<Bad> {};

TEST_P(BadArgs, OneClearLine) {
  try {
    parse_symmetric(GetParam().args);
    FAIL() << "accepted";
  } catch (const UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(GetParam().message_part), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
}

Args replace(std::size_t i, const char* v) {
  Args a = base();
  a[i] = v;
  return a;
}
Args plus(std::initializer_list<const char*> extra) {
  Args a = base();
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadArgs,
    ::testing::Values(
        Bad{replace(0, "16777216"), "VNI '16777216'"}, Bad{replace(0, "-1"), "VNI '-1'"},
        Bad{replace(0, "4x"), "VNI '4x'"}, Bad{replace(1, "2001:db8::zz"), "LOCAL"},
        Bad{replace(1, "192.0.2.1"), "LOCAL '192.0.2.1' must be an IPv6"}, Bad{replace(2, "not-an-ip"), "PATH"},
        Bad{replace(3, "10.0.0.1"), "REMOTE"}, Bad{replace(3, "2001:db8:a::1"), "same address"},
        Bad{Args{"42"}, "expected 4 arguments"}, Bad{plus({"extra"}), "expected 4 arguments"},
        Bad{plus({"--bogus"}), "unknown option '--bogus'"}, Bad{plus({"-x"}), "unknown option '-x'"},
        Bad{plus({"--mtu"}), "needs a value"}, Bad{plus({"--mtu", "1279"}), "MTU '1279'"},
        Bad{plus({"--port", "0"}), "port '0'"}, Bad{plus({"--port", "65536"}), "port '65536'"},
        Bad{plus({"--option-type", "0x81"}), "option type"}, Bad{plus({"--ifname", "a-name-far-too-long"}), "1..15"},
        Bad{plus({"--ifname", "a/b"}), "interface name"}, Bad{plus({"--address", "fd00::1"}), "needs a /length"},
        Bad{plus({"--dataplane", "fast"}), "data plane 'fast'"}, Bad{plus({"--no-route-option=1"}), "takes no value"},
        Bad{plus({"--run-dir", "relative"}), "absolute"}));

}  // namespace
}  // namespace gn::config
