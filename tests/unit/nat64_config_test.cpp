// geneve-nat64-gateway configuration: flags, the JSON file, precedence and
// the one-line errors.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nat64/config.hpp"
#include "temp_file.hpp"
#include "util/error.hpp"

namespace gn::nat64 {
namespace {

using Args = std::vector<std::string>;

Args base() {
  return {"--prefix", "2001:db8:64::/96", "--pool", "198.51.100.7"};
}
Args plus(Args extra) {
  Args a = base();
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

using testing::TempFile;

TEST(Nat64Config, Defaults) {
  auto cmd = parse_gateway_command(base());
  const GatewayConfig& c = cmd.config;
  EXPECT_EQ(cmd.action, GatewayCommand::Action::kRun);
  EXPECT_EQ(c.tun, "nat64");
  EXPECT_EQ(c.geneve_port, 6081);
  EXPECT_EQ(c.mtu, 1500u);
  EXPECT_EQ(c.max_sessions, 65536u);
  EXPECT_EQ(c.udp_timeout, 120u);
  EXPECT_EQ(c.udp_initial_timeout, 30u);
  EXPECT_EQ(c.icmp_timeout, 60u);
  EXPECT_EQ(c.tcp_timeout, 7440u);
  EXPECT_EQ(c.tcp_trans_timeout, 240u);
  EXPECT_TRUE(c.offload);
  EXPECT_EQ(c.translator_config().reassembly.max_datagrams, 1024u);
  EXPECT_EQ(c.translator_config().reassembly.max_bytes, 8u << 20);
  EXPECT_EQ(c.translator_config().timeouts.tcp_established, std::chrono::seconds(7440));
  EXPECT_TRUE(c.allow.empty());
  EXPECT_EQ(c.run_dir, "/run/geneve-nat64");
  EXPECT_EQ(c.translator_config().prefix.to_string(), "2001:db8:64::/96");
}

TEST(Nat64Config, AllFlags) {
  auto c = parse_gateway_command(plus({"--tun",
                                       "gw0",
                                       "--geneve-port=7000",
                                       "--allow",
                                       "2001:db8:b::/48",
                                       "--allow",
                                       "2001:db8:c::/48",
                                       "--rate",
                                       "5",
                                       "--burst",
                                       "7",
                                       "--max-sessions",
                                       "100",
                                       "--mtu",
                                       "1400",
                                       "--udp-timeout",
                                       "300",
                                       "--udp-initial-timeout",
                                       "20",
                                       "--icmp-timeout",
                                       "10",
                                       "--option-class",
                                       "0x0163",
                                       "--option-type",
                                       "0x02",
                                       "--run-dir",
                                       "/tmp/x",
                                       "--log-level",
                                       "debug",
                                       "--tcp-timeout",
                                       "600",
                                       "--tcp-trans-timeout",
                                       "50",
                                       "--max-fragment-datagrams",
                                       "10",
                                       "--fragment-timeout",
                                       "2",
                                       "--offload",
                                       "off"}))
               .config;
  EXPECT_FALSE(c.offload);
  EXPECT_EQ(c.translator_config().reassembly.max_datagrams, 10u);
  EXPECT_EQ(c.translator_config().reassembly.max_bytes, 10u * 65535u) << "room for each at its largest";
  EXPECT_EQ(c.translator_config().reassembly.timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.tcp_timeout, 600u);
  EXPECT_EQ(c.tcp_trans_timeout, 50u);
  EXPECT_EQ(c.translator_config().timeouts.tcp_transitory, std::chrono::seconds(50));
  EXPECT_EQ(c.tun, "gw0");
  EXPECT_EQ(c.geneve_port, 7000);
  ASSERT_EQ(c.allow.size(), 2u);
  EXPECT_EQ(c.allow[1].to_string(), "2001:db8:c::/48");
  EXPECT_EQ(c.rate, 5u);
  EXPECT_EQ(c.burst, 7u);
  EXPECT_EQ(c.max_sessions, 100u);
  EXPECT_EQ(c.mtu, 1400u);
  EXPECT_EQ(c.udp_timeout, 300u);
  EXPECT_EQ(c.udp_initial_timeout, 20u);
  EXPECT_EQ(c.icmp_timeout, 10u);
  EXPECT_EQ(c.option_id.option_class, 0x0163);
  EXPECT_EQ(c.option_id.type, 0x02);
  EXPECT_EQ(c.run_dir, "/tmp/x");
  EXPECT_EQ(c.log_level, log::Level::kDebug);
}

TEST(Nat64Config, AnyRfc6052PrefixLength) {
  for (const char* p : {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
                        "2001:db8:122:344::/64", "2001:db8:64::/96"}) {
    auto c = parse_gateway_command({"--prefix", p, "--pool", "198.51.100.7"}).config;
    EXPECT_EQ(c.prefix->to_string(), p);
  }
  EXPECT_THROW(parse_gateway_command({"--prefix", "2001:db8::/80", "--pool", "198.51.100.7"}), UsageError);
}

TEST(Nat64Config, FileAndFlagPrecedence) {
  TempFile f(R"({"tun": "fromfile", "prefix": "2001:db8:122::/48", "pool": "192.0.2.1", "geneve_port": 6082,
                 "allow": ["2001:db8:a::/48", "2001:db8:b::/48"], "rate": 3, "burst": "4", "max_sessions": 10,
                 "mtu": 1400, "udp_timeout": 200, "udp_initial_timeout": 25, "icmp_timeout": 50,
                 "option_class": "0x0163", "option_type": 2, "run_dir": "/tmp/r", "log_level": "warn"})");
  auto c = parse_gateway_command({"--config", f.path()}).config;
  EXPECT_EQ(c.tun, "fromfile");
  EXPECT_EQ(c.prefix->length(), 48);
  EXPECT_EQ(c.allow.size(), 2u);
  EXPECT_EQ(c.burst, 4u);
  EXPECT_EQ(c.option_id.option_class, 0x0163);
  EXPECT_EQ(c.log_level, log::Level::kWarn);
  // Flags win, wherever they appear; --allow replaces the file's list.
  auto o = parse_gateway_command({"--tun", "fromflag", "--config", f.path(), "--allow", "2001:db8:c::/48"}).config;
  EXPECT_EQ(o.tun, "fromflag");
  ASSERT_EQ(o.allow.size(), 1u);
  EXPECT_EQ(o.allow[0].to_string(), "2001:db8:c::/48");
  EXPECT_EQ(o.mtu, 1400u);
}

void expect_usage_error(const Args& args, const std::string& needle) {
  try {
    parse_gateway_command(args);
    ADD_FAILURE() << "no error; wanted one mentioning '" << needle << "'";
  } catch (const UsageError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST(Nat64Config, BadValuesAreOneLineErrors) {
  expect_usage_error({"--pool", "198.51.100.7"}, "--prefix");
  expect_usage_error({"--prefix", "2001:db8:64::/96"}, "--pool");
  expect_usage_error(plus({"--pool", "2001:db8::1"}), "IPv4");
  expect_usage_error(plus({"--pool", "224.0.0.1"}), "unicast");
  expect_usage_error(plus({"--allow", "10.0.0.0/8"}), "IPv6");
  expect_usage_error(plus({"--mtu", "1000"}), "1280");
  expect_usage_error(plus({"--option-type", "0x80"}), "option type");
  expect_usage_error(plus({"--geneve-port", "0"}), "GENEVE port");
  expect_usage_error(plus({"--tun", "far-too-long-a-name"}), "1..15");
  expect_usage_error(plus({"--run-dir", "relative"}), "absolute");
  expect_usage_error(plus({"--offload", "yes"}), "on or off");
  expect_usage_error(plus({"--fragment-timeout", "0"}), "fragment timeout");
  expect_usage_error(plus({"--frobnicate", "1"}), "unknown option '--frobnicate'");
  expect_usage_error(plus({"--geneve_port", "1"}), "unknown option");
  expect_usage_error(plus({"stray"}), "unexpected argument");
  expect_usage_error(plus({"--rate"}), "needs a value");
  expect_usage_error(plus({"--config", "/nonexistent/gw.json"}), "cannot read config file");
  expect_usage_error(plus({"--config", "/a.json", "--config", "/b.json"}), "option '--config' given twice");
}

TEST(Nat64Config, BadFiles) {
  // Each error: "config FILE: .KEY: what", one line.
  TempFile unknown(R"({"prefix": "2001:db8:64::/96", "pool": "192.0.2.1", "colour": "blue"})");
  expect_usage_error({"--config", unknown.path()}, "config " + unknown.path() + ": .colour: unknown key");
  TempFile bad_type(R"({"prefix": "2001:db8:64::/96", "pool": "192.0.2.1", "mtu": true})");
  expect_usage_error({"--config", bad_type.path()}, ".mtu: expected a non-negative integer, got boolean");
  TempFile bad_string(R"({"prefix": "2001:db8:64::/96", "pool": 7})");
  expect_usage_error({"--config", bad_string.path()}, ".pool: expected a string, got number");
  TempFile bad_value(R"({"prefix": "2001:db8:64::/96", "pool": "192.0.2.1", "mtu": 99})");
  expect_usage_error({"--config", bad_value.path()}, ".mtu: MTU '99'");
  TempFile bad_allow(R"({"prefix": "2001:db8:64::/96", "pool": "192.0.2.1", "allow": "2001:db8::/32"})");
  expect_usage_error({"--config", bad_allow.path()}, ".allow: expected an array of strings, got string");
  TempFile bad_entry(
      R"({"prefix": "2001:db8:64::/96", "pool": "192.0.2.1", "allow": ["2001:db8::/32", "10.0.0.0/8"]})");
  expect_usage_error({"--config", bad_entry.path()}, ".allow[1]: allow prefix '10.0.0.0/8' must be an IPv6 prefix");
  TempFile flag_spelling(R"({"prefix": "2001:db8:64::/96", "pool": "192.0.2.1", "geneve-port": 1})");
  expect_usage_error({"--config", flag_spelling.path()}, ".geneve-port: unknown key");
  TempFile other_mode(R"({"mode": "geneve-client", "prefix": "2001:db8:64::/96", "pool": "192.0.2.1"})");
  expect_usage_error({"--config", other_mode.path()},
                     ".mode: this file is for geneve-client, not geneve-nat64-gateway");
  TempFile not_json("{prefix:");
  expect_usage_error({"--config", not_json.path()}, "not valid JSON");
  TempFile not_object("[1]");
  expect_usage_error({"--config", not_object.path()}, "expected a JSON object, got array");
  // A bad flag names the flag.
  TempFile good(R"({"prefix": "2001:db8:64::/96", "pool": "192.0.2.1"})");
  expect_usage_error({"--config", good.path(), "--mtu", "99"}, "--mtu: MTU '99'");
}

TEST(Nat64Config, ModeKeyAndCheckConfigRoundTrip) {
  TempFile f(R"({"mode": "geneve-nat64-gateway", "prefix": "2001:db8:64::/96", "pool": "192.0.2.1",
                 "allow": ["2001:db8:a::/48"], "offload": "off", "option_class": "0x0163", "log_level": "debug"})");
  auto cmd = parse_gateway_command({"--config", f.path(), "--check-config", "--mtu", "1400"});
  EXPECT_EQ(cmd.action, GatewayCommand::Action::kCheck);
  auto settings = settings_json(cmd.config);
  EXPECT_EQ(settings["mode"], "geneve-nat64-gateway");
  EXPECT_EQ(settings["mtu"], 1400);
  EXPECT_EQ(settings["offload"], "off");
  EXPECT_EQ(settings["allow"].dump(), R"(["2001:db8:a::/48"])");
  // What --check-config prints is a file that gives the same settings.
  TempFile again(settings.dump());
  EXPECT_EQ(settings_json(parse_gateway_command({"--config", again.path()}).config), settings);
}

TEST(Nat64Config, HelpVersionStatus) {
  EXPECT_EQ(parse_gateway_command({"--help"}).action, GatewayCommand::Action::kHelp);
  EXPECT_EQ(parse_gateway_command({"--version"}).action, GatewayCommand::Action::kVersion);
  auto s = parse_gateway_command({"status", "--tun", "gw1", "--json", "--run-dir", "/tmp/s"});
  EXPECT_EQ(s.action, GatewayCommand::Action::kStatus);
  EXPECT_TRUE(s.json);
  EXPECT_EQ(s.config.tun, "gw1");
  EXPECT_EQ(s.config.run_dir, "/tmp/s");
  EXPECT_THROW(parse_gateway_command({"status", "--bogus"}), UsageError);
  expect_usage_error({"status", "--bogus"}, "status: unknown option '--bogus'");
  expect_usage_error({"status", "stray"}, "status: unexpected argument 'stray'");
  expect_usage_error({"status", "--tun"}, "status: option '--tun' needs a value");
  EXPECT_EQ(parse_gateway_command({"status", "--tun=gw2"}).config.tun, "gw2");
  // --help is written from the option table: every setting is listed.
  for (const char* option :
       {"--max-sessions N", "--udp-initial-timeout S", "--allow PREFIX", "--config FILE", "--check-config"})
    EXPECT_NE(gateway_usage().find(option), std::string::npos) << option;
}

}  // namespace
}  // namespace gn::nat64
