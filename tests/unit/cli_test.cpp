#include "config/cli.hpp"

#include <gtest/gtest.h>

#include "config/settings_json.hpp"
#include "temp_file.hpp"
#include "util/error.hpp"

namespace gn::config {
namespace {

using Args = std::vector<std::string>;
using gn::testing::TempFile;

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
  TempFile clients(R"({"local": "2001:db8:5::1", "clients": [{"vni": 42, "remote": "fd00:c4::1"}]})");
  auto c = parse_endpoint(Mode::kServer, {"--config", clients.path()});
  EXPECT_EQ(c.config.config_file, clients.path());
  EXPECT_EQ(c.config.name, "geneve-server");
  EXPECT_THROW(parse_endpoint(Mode::kServer, {"--config", clients.path(), "42", "2001:db8:5::1", "fd00::1"}),
               UsageError);
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
  // Every command reads a file and checks it.
  for (Mode m : {Mode::kSymmetric, Mode::kServer, Mode::kClient, Mode::kAuto}) {
    EXPECT_NE(endpoint_usage(m).find("\n  --config FILE "), std::string::npos) << to_string(m);
    EXPECT_NE(endpoint_usage(m).find("\n  --check-config "), std::string::npos) << to_string(m);
  }
  for (const char* option : {"--ifname NAME", "--key-file FILE", "--no-offload", "-h, --help", "--version"})
    EXPECT_NE(symmetric_usage().find(option), std::string::npos) << option;
}

TEST(Cli, ClientPathMayBeIpv4Ipv6OrAHostName) {
  auto v4 = parse_endpoint(Mode::kClient, {"42", "fd00:c4::1", "192.0.2.7", "2001:db8:5::1"});
  EXPECT_EQ(v4.config.path.to_string(), "192.0.2.7");
  auto name = parse_endpoint(Mode::kClient, {"42", "fd00:c4::1", "entry.example.net", "2001:db8:5::1", "--nat64-prefix",
                                             "2001:db8:64:c::/96"});
  EXPECT_EQ(name.config.path_text, "entry.example.net");
  ASSERT_EQ(name.config.nat64_prefixes.size(), 1u);
  EXPECT_EQ(name.config.nat64_prefixes[0].to_string(), "2001:db8:64:c::/96");
  EXPECT_THROW(parse_endpoint(Mode::kClient, {"42", "fd00:c4::1", "bad_name!", "2001:db8:5::1"}), UsageError);
  // Symmetric mode keeps the PoC's rule: PATH is an address.
  EXPECT_THROW(parse_symmetric({"42", "2001:db8:a::1", "entry.example.net", "2001:db8:b::1"}), UsageError);
}

TEST(Cli, Nat64PrefixListsAndAuto) {
  const Args head = {"42", "fd00:c4::1", "192.0.2.7", "2001:db8:5::1"};
  const auto with = [&](Args extra) {
    Args a = head;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  // A comma list and repeated flags add up, in order.
  auto two = parse_endpoint(Mode::kClient, with({"--nat64-prefix", "2001:db8:64:a::/96,2001:db8:64:b::/64",
                                                 "--nat64-prefix", "2001:db8:64:c::/96"}));
  ASSERT_EQ(two.config.nat64_prefixes.size(), 3u);
  EXPECT_EQ(two.config.nat64_prefixes[1].to_string(), "2001:db8:64:b::/64");
  EXPECT_FALSE(two.config.discover_nat64_prefixes);
  auto discover = parse_endpoint(Mode::kAuto, with({"--nat64-prefix", "auto"}));
  EXPECT_TRUE(discover.config.discover_nat64_prefixes);
  EXPECT_TRUE(discover.config.nat64_prefixes.empty());
  // One clear line naming the flag and the bad entry.
  const auto error = [&](Args extra) {
    try {
      parse_endpoint(Mode::kClient, with(std::move(extra)));
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error({"--nat64-prefix", "2001:db8:64:a::/96,2001:db8:64:b::/80"}).rfind("--nat64-prefix: NAT64 prefix", 0),
            0u);
  EXPECT_EQ(error({"--nat64-prefix", "2001:db8:64:a::/96,,2001:db8:64:b::/96"}),
            "--nat64-prefix: NAT64 prefix list '2001:db8:64:a::/96,,2001:db8:64:b::/96' has an empty entry");
  EXPECT_EQ(error({"--nat64-prefix", "2001:db8:64:a::/96,192.0.2.0/24"})
                .rfind("--nat64-prefix: NAT64 prefix '192.0.2.0/24'", 0),
            0u);
  EXPECT_EQ(error({"--nat64-prefix", "2001:db8:64:a::/96", "--nat64-prefix", "2001:db8:64:a::/96"}),
            "--nat64-prefix: NAT64 prefix 2001:db8:64:a::/96 is given twice");
  EXPECT_EQ(error({"--nat64-prefix", "auto,2001:db8:64:a::/96"}),
            "--nat64-prefix: 'auto' discovers the NAT64 prefixes: it cannot be combined with a list of them");
  // Symmetric mode has no NAT64 of its own.
  EXPECT_THROW(parse_symmetric({"42", "2001:db8:a::1", "2001:db8:64::1", "2001:db8:b::1", "--nat64-prefix", "auto"}),
               UsageError);
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

// A server's --config file, parsed as geneve-server would.
EndpointConfig server_file(const std::string& text) {
  TempFile f(text);
  return parse_endpoint(Mode::kServer, {"--config", f.path()}).config;
}

TEST(ServerConfig, LoadsClients) {
  EndpointConfig cfg = server_file(R"({"local": "2001:db8:5::1", "clients": [
      {"name": "branch1", "vni": 42, "remote": "fd00:c4::1", "key_file": "/k1", "ifname": "gnc1",
       "address": ["fd00:42::1/64"]},
      {"vni": 43, "remote": "fd00:c6::1"}]})");
  EXPECT_EQ(cfg.local.to_string(), "2001:db8:5::1");
  const auto& clients = cfg.clients;
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].name, "branch1");
  EXPECT_EQ(clients[0].ifname, "gnc1");
  EXPECT_EQ(clients[0].key_file, std::optional<std::string>("/k1"));
  EXPECT_EQ(clients[0].addresses, Args{"fd00:42::1/64"});
  EXPECT_EQ(clients[1].name, "fd00:c6::1");  // defaults to the remote
  EXPECT_EQ(clients[1].vni, 43u);
  EXPECT_EQ(peers_of(cfg).size(), 2u);
}

// The one-line error geneve-server gives for the file `text`, without the
// "config FILE: " in front, or "accepted".
std::string error_of(const std::string& text) {
  TempFile f(text);
  try {
    parse_endpoint(Mode::kServer, {"--config", f.path()});
  } catch (const UsageError& e) {
    std::string what = e.what();
    const std::string head = "config " + f.path() + ": ";
    EXPECT_EQ(what.rfind(head, 0), 0u) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what.rfind(head, 0) == 0 ? what.substr(head.size()) : what;
  }
  return std::string("accepted");
}

TEST(ServerConfig, ErrorsNameTheKeyPath) {
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_EQ(error_of("[1]"), "expected a JSON object, got array");
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "vni": 2, "remote": "fd00::1"}]})"),
            "key 'vni' given twice in one object");
  EXPECT_EQ(error_of(R"({"clients": [{"vni": 1, "remote": "fd00::1"}]})"),
            ".local: missing (this server's IPv6 address)");
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": []})"),
            ".clients: expected a non-empty array of client objects, got an empty array");
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1}]})"),
            ".clients[0].remote: missing (the client's IPv6 address)");
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": "x", "remote": "fd00::1"}]})")
                .rfind(".clients[0].vni: VNI 'x'", 0),
            0u);
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1"},
                        {"vni": 16777216, "remote": "fd00::2"}]})")
                .rfind(".clients[1].vni: VNI", 0),
            0u);
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1"},
                        {"vni": 1, "remote": "fd00::1"}]})")
                .rfind(".clients[1]: another client", 0),
            0u);
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1", "colour": "red"}]})"),
            ".clients[0].colour: unknown key (expected name, vni, remote, key_file, ifname, address, allowed_ips)");
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "extra": 1, "clients": [{"vni": 1, "remote": "fd00::1"}]})")
                .rfind(".extra: unknown key", 0),
            0u);
  EXPECT_EQ(
      error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1", "address": "fd00::/64"}]})"),
      ".clients[0].address: expected an array of strings, got string");
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1", "address": [7]}]})"),
            ".clients[0].address[0]: expected a string, got number");
  // Each client has its own VNI, remote and interface: not at the top.
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "vni": 1, "clients": [{"vni": 1, "remote": "fd00::1"}]})")
                .rfind(".vni: not with \"clients\"", 0),
            0u);
}

TEST(ServerConfig, OneInterfaceForAllClients) {
  EndpointConfig cfg = server_file(
      R"({"local": "2001:db8:5::1", "interface": {"ifname": "gns0", "address": ["fd01::1/48"]},
      "clients": [{"vni": 42, "remote": "fd00:c4::1", "allowed_ips": ["fd01:0:0:1::/64", "10.1.0.0/16"]},
                  {"vni": 43, "remote": "fd00:c6::1", "allowed_ips": ["fd01:0:0:1:8000::/65"]}]})");
  ASSERT_TRUE(cfg.shared_interface);
  EXPECT_EQ(cfg.shared_interface->ifname, "gns0");
  EXPECT_EQ(cfg.shared_interface->addresses, Args{"fd01::1/48"});
  const auto& clients = cfg.clients;
  ASSERT_EQ(clients.size(), 2u);
  ASSERT_EQ(clients[0].allowed_ips.size(), 2u);
  EXPECT_EQ(clients[0].allowed_ips[1].to_string(), "10.1.0.0/16");
  // A longer prefix inside another client's is that other client's: LPM.
  EXPECT_EQ(clients[1].allowed_ips[0].length(), 65);
}

TEST(ServerConfig, OneInterfaceErrors) {
  const std::string head = R"({"local": "2001:db8::1", "interface": {"ifname": "gns0"}, "clients": )";
  EXPECT_EQ(error_of(head + R"([{"vni": 1, "remote": "fd00::1"}]})").rfind(".clients[0].allowed_ips: missing", 0), 0u);
  EXPECT_EQ(error_of(head + R"([{"vni": 1, "remote": "fd00::1", "allowed_ips": []}]})"),
            ".clients[0].allowed_ips: empty: the client could send nothing");
  EXPECT_EQ(error_of(head + R"([{"vni": 1, "remote": "fd00::1", "allowed_ips": ["fd01::/64"], "ifname": "x"}]})"),
            ".clients[0].ifname: belongs to \"interface\" when the clients share one");
  EXPECT_NE(error_of(head + R"([{"vni": 1, "remote": "fd00::1", "allowed_ips": ["fd01::/129"]}]})")
                .find(".clients[0].allowed_ips[0]: "),
            std::string::npos);
  // The same prefix (host bits ignored) for two clients names both.
  auto clash = error_of(head + R"([{"name": "a", "vni": 1, "remote": "fd00::1", "allowed_ips": ["fd01::/64"]},
                                     {"name": "b", "vni": 2, "remote": "fd00::2", "allowed_ips": ["fd01::9/64"]}]})");
  EXPECT_EQ(clash.rfind(".clients[1].allowed_ips: fd01::9/64 is also client a's", 0), 0u) << clash;
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "interface": {"colour": 1}, "clients": [{"vni": 1,
                        "remote": "fd00::1", "allowed_ips": ["fd01::/64"]}]})"),
            ".interface.colour: unknown key (expected ifname, address)");
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "clients": [{"vni": 1, "remote": "fd00::1",
                        "allowed_ips": ["fd01::/64"]}]})")
                .rfind(".clients[0].allowed_ips: applies to clients sharing one \"interface\"", 0),
            0u);
  EXPECT_EQ(error_of(R"({"local": "2001:db8::1", "vni": 1, "remote": "fd00::1", "interface": {}})"),
            ".interface: only with \"clients\" (the clients that share it)");
}

// ---- --config for every endpoint command: valid file, unknown key, wrong
// type, flags over the file, --check-config -------------------------------

// The file of each mode that says everything the base arguments do.
std::string file_for(Mode m) {
  if (m == Mode::kServer)
    return R"({"mode": "geneve-server", "vni": 42, "local": "2001:db8:5::1", "remote": "fd00:c4::1",
               "address": ["fd00:42::1/64"], "keepalive": 10, "option_class": "0x0163", "no_offload": true})";
  return R"({"mode": "geneve-)" + std::string(to_string(m)) +
         R"(", "vni": 42, "local": "2001:db8:a::1", "path": "2001:db8:64::203.0.113.90", "remote": "2001:db8:b::1",
            "address": ["fd00:42::1/64"], "keepalive": 10, "option_class": "0x0163", "no_offload": true})";
}

constexpr Mode kModes[] = {Mode::kSymmetric, Mode::kServer, Mode::kClient, Mode::kAuto};

// The error of `mode` run with the file `text` and `extra` arguments, or
// "accepted".
std::string mode_error(Mode mode, const std::string& text, const Args& extra = {}) {
  TempFile f(text);
  Args args = {"--config", f.path()};
  args.insert(args.end(), extra.begin(), extra.end());
  try {
    parse_endpoint(mode, args);
  } catch (const UsageError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    const std::string head = "config " + f.path() + ": ";
    return what.rfind(head, 0) == 0 ? what.substr(head.size()) : what;
  }
  return "accepted";
}

// The file with one key added (or replaced): `json` is its value.
std::string with(const std::string& file, const std::string& key, const std::string& json) {
  auto doc = nlohmann::json::parse(file);
  doc[key] = nlohmann::json::parse(json);
  return doc.dump();
}

TEST(ConfigFile, EveryModeRunsFromTheFileAlone) {
  for (Mode m : kModes) {
    SCOPED_TRACE(to_string(m));
    TempFile f(file_for(m));
    auto r = parse_endpoint(m, {"--config", f.path()});
    EXPECT_EQ(r.action, ParseResult::Action::kRun);
    EXPECT_EQ(r.config.vni, 42u);
    EXPECT_EQ(r.config.local.to_string(), m == Mode::kServer ? "2001:db8:5::1" : "2001:db8:a::1");
    if (m != Mode::kServer) {
      EXPECT_EQ(r.config.path_text, "2001:db8:64::203.0.113.90");
    }
    EXPECT_EQ(r.config.addresses, Args{"fd00:42::1/64"});
    EXPECT_EQ(r.config.timing.keepalive, std::chrono::seconds(10));
    EXPECT_EQ(r.config.option_id.option_class, 0x0163);
    EXPECT_FALSE(r.config.offloads);
    EXPECT_EQ(peers_of(r.config).size(), 1u);
  }
}

TEST(ConfigFile, UnknownKeysAndWrongTypesNameTheKey) {
  for (Mode m : kModes) {
    SCOPED_TRACE(to_string(m));
    const std::string f = file_for(m);
    EXPECT_EQ(mode_error(m, f), "accepted");
    EXPECT_EQ(mode_error(m, with(f, "colour", "\"red\"")).rfind(".colour: unknown key", 0), 0u);
    // An option spelled as on the command line is not a key.
    EXPECT_EQ(mode_error(m, with(f, "dead-after", "3")).rfind(".dead-after: unknown key", 0), 0u);
    EXPECT_EQ(mode_error(m, with(f, "mtu", "true")), ".mtu: expected a non-negative integer, got boolean");
    EXPECT_EQ(mode_error(m, with(f, "mtu", "-5")), ".mtu: expected a non-negative integer, got number");
    EXPECT_EQ(mode_error(m, with(f, "mtu", "100")).rfind(".mtu: MTU '100'", 0), 0u);
    EXPECT_EQ(mode_error(m, with(f, "ifname", "7")), ".ifname: expected a string, got number");
    EXPECT_EQ(mode_error(m, with(f, "address", "\"fd00::1/64\"")),
              ".address: expected an array of strings, got string");
    EXPECT_EQ(mode_error(m, with(f, "address", R"(["fd00::1/64", "fd00::2"])")).rfind(".address[1]: ", 0), 0u);
    EXPECT_EQ(mode_error(m, with(f, "no_offload", "\"yes\"")), ".no_offload: expected true or false, got string");
    EXPECT_EQ(mode_error(m, with(f, "vni", "16777216")).rfind(".vni: VNI '16777216'", 0), 0u);
    EXPECT_EQ(mode_error(m, with(f, "local", "\"192.0.2.1\"")).rfind(".local: LOCAL '192.0.2.1'", 0), 0u);
    EXPECT_EQ(mode_error(m, with(f, "mode", "\"geneve-nat64-gateway\"")),
              ".mode: this file is for geneve-nat64-gateway, not geneve-" + std::string(to_string(m)));
    // Not keys: the command line's own options.
    for (const char* k : {"config", "check_config", "help", "version"})
      EXPECT_EQ(mode_error(m, with(f, k, "true")).rfind(std::string(".") + k + ": unknown key", 0), 0u) << k;
    // The arguments come together, from the file or from the command line.
    auto doc = nlohmann::json::parse(f);
    doc.erase("remote");
    EXPECT_EQ(mode_error(m, doc.dump()).rfind(".remote: missing", 0), 0u);
  }
  EXPECT_EQ(mode_error(Mode::kSymmetric, with(file_for(Mode::kSymmetric), "nat64_prefix", "\"2001:db8:64::/96\"")),
            ".nat64_prefix: unknown key (the keys are geneve-symmetric's long options with '_' for '-', see --help)");
  EXPECT_EQ(mode_error(Mode::kSymmetric, with(file_for(Mode::kSymmetric), "path", "\"nowhere\""))
                .rfind(".path: PATH 'nowhere'", 0),
            0u);
}

TEST(ConfigFile, FlagsOverrideTheFile) {
  for (Mode m : kModes) {
    SCOPED_TRACE(to_string(m));
    TempFile f(file_for(m));
    auto r = parse_endpoint(m, {"--keepalive", "7", "--config", f.path(), "--address", "fd00:43::1/64", "--address",
                                "fd00:44::1/64", "--option-class", "0x0162"});
    EXPECT_EQ(r.config.timing.keepalive, std::chrono::seconds(7));
    // A list from flags replaces the file's.
    EXPECT_EQ(r.config.addresses, (Args{"fd00:43::1/64", "fd00:44::1/64"}));
    EXPECT_EQ(r.config.option_id.option_class, 0x0162);
    EXPECT_FALSE(r.config.offloads);  // from the file, not overridden
    // Positional arguments replace all of the file's.
    Args positional = m == Mode::kServer ? Args{"43", "2001:db8:5::2", "fd00:c4::2"}
                                         : Args{"43", "2001:db8:a::2", "2001:db8:b::9", "2001:db8:b::2"};
    positional.insert(positional.end(), {"--config", f.path()});
    auto p = parse_endpoint(m, positional);
    EXPECT_EQ(p.config.vni, 43u);
    EXPECT_EQ(p.config.remote.to_string(), m == Mode::kServer ? "fd00:c4::2" : "2001:db8:b::2");
    // A bad flag is named as a flag, not as the file's key.
    EXPECT_EQ(mode_error(m, file_for(m), {"--mtu", "100"}).rfind("--mtu: MTU '100'", 0), 0u);
  }
  // A server's clients bring their own interfaces: --ifname would be ignored.
  EXPECT_NE(mode_error(Mode::kServer, R"({"local": "2001:db8:5::1", "clients": [{"vni": 1, "remote": "fd00::1"}]})",
                       {"--ifname", "x"})
                .find("--ifname: each client of --config"),
            std::string::npos);
}

TEST(ConfigFile, CheckConfigPrintsAFileThatParsesTheSame) {
  const std::string shared = R"({"mode": "geneve-server", "local": "2001:db8:5::1", "key_file": "/k",
      "interface": {"ifname": "gns0", "address": ["fd01::1/48"]},
      "clients": [{"name": "b1", "vni": 42, "remote": "fd00:c4::1", "allowed_ips": ["fd01:0:0:1::/64"]}]})";
  std::vector<std::pair<Mode, std::string>> files;
  for (Mode m : kModes) files.emplace_back(m, file_for(m));
  files.emplace_back(Mode::kServer, shared);
  for (const auto& [m, text] : files) {
    SCOPED_TRACE(text);
    TempFile f(text);
    auto r = parse_endpoint(m, {"--config", f.path(), "--check-config", "--mtu", "1300"});
    EXPECT_EQ(r.action, ParseResult::Action::kCheck);
    auto settings = settings_json(r.config);
    EXPECT_EQ(settings["mode"], "geneve-" + std::string(to_string(m)));
    EXPECT_EQ(settings["mtu"], 1300);
    TempFile again(settings.dump());
    auto r2 = parse_endpoint(m, {"--config", again.path()});
    EXPECT_EQ(settings_json(r2.config), settings);
  }
}

}  // namespace
}  // namespace gn::config
