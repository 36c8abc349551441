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

TEST(Cli, ServerTakesThreeArgumentsOrAConfig) {
  auto r = parse_endpoint(Mode::kServer, {"42", "2001:db8:5::1", "fd00:c4::1", "--key-file", "/k"});
  EXPECT_EQ(r.config.mode, Mode::kServer);
  EXPECT_EQ(r.config.command, "geneve-server");
  EXPECT_EQ(r.config.remote.to_string(), "fd00:c4::1");
  EXPECT_EQ(r.config.key_file, std::optional<std::string>("/k"));
  auto c = parse_endpoint(Mode::kServer, {"--config", "/etc/clients.json"});
  EXPECT_EQ(c.config.config_file, "/etc/clients.json");
  EXPECT_EQ(c.config.name, "geneve-server");
  EXPECT_THROW(parse_endpoint(Mode::kServer, {"--config", "/x", "42", "2001:db8:5::1", "fd00::1"}), UsageError);
  EXPECT_THROW(parse_endpoint(Mode::kServer, {"42", "2001:db8:5::1"}), UsageError);
  // PATH is not a server argument; --nat64-prefix is not a server option.
  EXPECT_THROW(parse_endpoint(Mode::kServer, {"42", "2001:db8:5::1", "fd00::1", "--nat64-prefix", "64:ff9b::/96"}),
               UsageError);
}

TEST(Cli, ALaterValueOverridesButOneConfigFile) {
  // Scripts append overrides to a command line.
  EXPECT_EQ(parse_symmetric(plus({"--mtu", "1400", "--mtu=1300"})).config.mtu, 1300u);
  EXPECT_EQ(parse_symmetric(plus({"--address", "fd00::1/64", "--address", "fd01::1/64"})).config.addresses.size(), 2u);
  try {
    parse_endpoint(Mode::kServer, {"--config", "/a.json", "--config", "/b.json"});
    FAIL() << "accepted two config files";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "option '--config' given twice");
  }
}

TEST(Cli, HelpListsEachModesOptions) {
  std::string server = endpoint_usage(Mode::kServer);
  EXPECT_EQ(server.rfind("Usage: geneve-server", 0), 0u);
  EXPECT_NE(server.find("\n  --config FILE "), std::string::npos) << server;
  EXPECT_EQ(server.find("--nat64-prefix"), std::string::npos) << server;
  std::string client = endpoint_usage(Mode::kClient);
  EXPECT_NE(client.find("\n  --nat64-prefix PREFIX "), std::string::npos) << client;
  EXPECT_EQ(client.find("--config"), std::string::npos) << client;
  for (const char* option : {"--ifname NAME", "--key-file FILE", "--no-offload", "-h, --help", "--version"})
    EXPECT_NE(symmetric_usage().find(option), std::string::npos) << option;
}

TEST(Cli, ClientPathMayBeIpv4Ipv6OrAHostName) {
  auto v4 = parse_endpoint(Mode::kClient, {"42", "fd00:c4::1", "192.0.2.7", "2001:db8:5::1"});
  EXPECT_EQ(v4.config.path.to_string(), "192.0.2.7");
  auto name = parse_endpoint(Mode::kClient, {"42", "fd00:c4::1", "entry.example.net", "2001:db8:5::1", "--nat64-prefix",
                                             "2001:db8:64:c::/96"});
  EXPECT_EQ(name.config.path_text, "entry.example.net");
  ASSERT_TRUE(name.config.nat64_prefix);
  EXPECT_EQ(name.config.nat64_prefix->to_string(), "2001:db8:64:c::/96");
  EXPECT_THROW(parse_endpoint(Mode::kClient, {"42", "fd00:c4::1", "bad_name!", "2001:db8:5::1"}), UsageError);
  // Symmetric mode keeps the PoC's rule: PATH is an address.
  EXPECT_THROW(parse_symmetric({"42", "2001:db8:a::1", "entry.example.net", "2001:db8:b::1"}), UsageError);
}

TEST(Cli, KeepaliveStaysBelowNatTimeouts) {
  Args a = base();
  a.insert(a.end(), {"--keepalive", "10", "--dead-after", "5"});
  auto r = parse_endpoint(Mode::kAuto, a);
  EXPECT_EQ(r.config.timing.keepalive, std::chrono::seconds(10));
  EXPECT_EQ(r.config.timing.dead_after, 5u);
  EXPECT_THROW(parse_endpoint(Mode::kAuto, plus({"--keepalive", "26"})), UsageError);
  EXPECT_THROW(parse_endpoint(Mode::kAuto, plus({"--keepalive", "0"})), UsageError);
  EXPECT_THROW(parse_endpoint(Mode::kAuto, plus({"--dead-after", "0"})), UsageError);
}

TEST(Cli, HostNames) {
  EXPECT_TRUE(is_host_name("geneve-entry-point.nat64.dk"));
  EXPECT_TRUE(is_host_name("localhost"));
  EXPECT_FALSE(is_host_name(""));
  EXPECT_FALSE(is_host_name("-lead.example"));
  EXPECT_FALSE(is_host_name("a..b"));
  EXPECT_FALSE(is_host_name("under_score.example"));
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".example"));
}

TEST(ServerConfig, LoadsClients) {
  EndpointConfig cfg;
  std::vector<PeerSpec> clients;
  load_server_config(R"({"local": "2001:db8:5::1", "clients": [
      {"name": "branch1", "vni": 42, "remote": "fd00:c4::1", "key_file": "/k1", "ifname": "gnc1",
       "address": ["fd00:42::1/64"]},
      {"vni": 43, "remote": "fd00:c6::1"}]})",
                     cfg, clients);
  EXPECT_EQ(cfg.local.to_string(), "2001:db8:5::1");
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].name, "branch1");
  EXPECT_EQ(clients[0].ifname, "gnc1");
  EXPECT_EQ(clients[0].key_file, std::optional<std::string>("/k1"));
  EXPECT_EQ(clients[0].addresses, Args{"fd00:42::1/64"});
  EXPECT_EQ(clients[1].name, "fd00:c6::1");  // defaults to the remote
  EXPECT_EQ(clients[1].vni, 43u);
}

// The one-line error load_server_config gives for `text`, or "accepted".
std::string error_of(const std::string& text) {
  EndpointConfig cfg;
  std::vector<PeerSpec> clients;
  try {
    load_server_config(text, cfg, clients);
  } catch (const UsageError& e) {
    return std::string(e.what());
  }
  return std::string("accepted");
}

TEST(ServerConfig, ErrorsNameTheEntry) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"clients": []})").find("local"), std::string::npos);
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "clients": []})").find("non-empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1}]})").find("clients[0]: \"remote\""),
            std::string::npos);
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1"},
                        {"vni": 16777216, "remote": "fd00::2"}]})")
                .find("clients[1]: VNI"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1"},
                        {"vni": 1, "remote": "fd00::1"}]})")
                .find("clients[1]: another client"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1", "colour": "red"}]})")
                .find("unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "extra": 1, "clients": []})").find("unknown key 'extra'"),
            std::string::npos);
}

TEST(ServerConfig, OneInterfaceForAllClients) {
  EndpointConfig cfg;
  std::vector<PeerSpec> clients;
  load_server_config(R"({"local": "2001:db8:5::1", "interface": {"ifname": "gns0", "address": ["fd01::1/48"]},
      "clients": [{"vni": 42, "remote": "fd00:c4::1", "allowed_ips": ["fd01:0:0:1::/64", "10.1.0.0/16"]},
                  {"vni": 43, "remote": "fd00:c6::1", "allowed_ips": ["fd01:0:0:1:8000::/65"]}]})",
                     cfg, clients);
  ASSERT_TRUE(cfg.shared_interface);
  EXPECT_EQ(cfg.shared_interface->ifname, "gns0");
  EXPECT_EQ(cfg.shared_interface->addresses, Args{"fd01::1/48"});
  ASSERT_EQ(clients.size(), 2u);
  ASSERT_EQ(clients[0].allowed_ips.size(), 2u);
  EXPECT_EQ(clients[0].allowed_ips[1].to_string(), "10.1.0.0/16");
  // A longer prefix inside another client's is that other client's: LPM.
  EXPECT_EQ(clients[1].allowed_ips[0].length(), 65);
}

TEST(ServerConfig, OneInterfaceErrors) {
  const std::string head = R"({"local": "2001:db8::1", "interface": {"ifname": "gns0"}, "clients": )";
  EXPECT_NE(error_of(head + R"([{"vni": 1, "remote": "fd00::1"}]})").find("clients[0]: \"allowed_ips\""),
            std::string::npos);
  EXPECT_NE(error_of(head + R"([{"vni": 1, "remote": "fd00::1", "allowed_ips": []}]})").find("empty"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"([{"vni": 1, "remote": "fd00::1", "allowed_ips": ["fd01::/64"], "ifname": "x"}]})")
                .find("belong to \"interface\""),
            std::string::npos);
  EXPECT_NE(error_of(head + R"([{"vni": 1, "remote": "fd00::1", "allowed_ips": ["fd01::/129"]}]})").find("length"),
            std::string::npos);
  // The same prefix (host bits ignored) for two clients names both.
  auto clash = error_of(head + R"([{"name": "a", "vni": 1, "remote": "fd00::1", "allowed_ips": ["fd01::/64"]},
                                     {"name": "b", "vni": 2, "remote": "fd00::2", "allowed_ips": ["fd01::9/64"]}]})");
  EXPECT_NE(clash.find("clients[1]: allowed_ips fd01::9/64 is also client a's"), std::string::npos) << clash;
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "interface": {"colour": 1}, "clients": []})")
                .find("interface: unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1",
                        "allowed_ips": ["fd01::/64"]}]})")
                .find("none is configured"),
            std::string::npos);
}

}  // namespace
}  // namespace gn::config
