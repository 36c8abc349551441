// geneve-bypass configuration: flags, the JSON file through the shared
// reader, flags over the file, and the one-line errors naming the key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bypass/daemon_config.hpp"
#include "net/address.hpp"
#include "temp_file.hpp"
#include "util/error.hpp"

namespace gn::bypass {
namespace {

using Args = std::vector<std::string>;
using testing::TempFile;

std::string gateways(const DaemonConfig& c) {
  std::string out;
  for (const auto& g : c.gateways)
    out += (out.empty() ? "" : " ") + net::IpAddress::v4(g.address).to_string() + "/" + std::to_string(g.prefix_length);
  return out;
}

void expect_usage_error(const Args& args, const std::string& needle) {
  try {
    parse_daemon_command(args);
    ADD_FAILURE() << "no error; wanted one mentioning '" << needle << "'";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST(BypassConfig, Defaults) {
  const auto cmd = parse_daemon_command({"--gateway", "192.0.2.7"});
  const DaemonConfig& c = cmd.config;
  EXPECT_EQ(cmd.action, DaemonCommand::Action::kRun);
  EXPECT_EQ(gateways(c), "192.0.2.7/96");
  EXPECT_FALSE(c.trust_any);
  EXPECT_EQ(c.tun, "bypass0");
  EXPECT_EQ(c.port, 6081);
  EXPECT_EQ(c.keepalive, 10u);
  EXPECT_EQ(c.fallback_priority, 32800u);
  EXPECT_EQ(c.state_dir, "/var/lib/geneve-bypass");
}

TEST(BypassConfig, FileThenFlagsOverride) {
  TempFile f(R"({"mode": "geneve-bypass", "gateway": ["192.0.2.7", "198.51.100.1/64"], "trust_any": false,
                 "flow_timeout": 60, "tun": "bp1", "log_level": "debug"})");
  auto c = parse_daemon_command({"--config", f.path()}).config;
  EXPECT_EQ(gateways(c), "192.0.2.7/96 198.51.100.1/64");
  EXPECT_EQ(c.flow_timeout, 60u);
  EXPECT_EQ(c.tun, "bp1");
  EXPECT_EQ(c.log_level, log::Level::kDebug);
  // A flag wins over its key; --gateway flags replace the file's list.
  c = parse_daemon_command({"--config", f.path(), "--flow-timeout", "5", "--gateway", "203.0.113.9"}).config;
  EXPECT_EQ(c.flow_timeout, 5u);
  EXPECT_EQ(gateways(c), "203.0.113.9/96");
  EXPECT_EQ(c.tun, "bp1");
  // A file with no gateway but trust_any true is complete.
  TempFile any(R"({"trust_any": true})");
  EXPECT_TRUE(parse_daemon_command({"--config", any.path()}).config.trust_any);
}

TEST(BypassConfig, BadFilesNameTheKey) {
  TempFile unknown(R"({"gateway": ["192.0.2.7"], "colour": "blue"})");
  expect_usage_error({"--config", unknown.path()}, "config " + unknown.path() + ": .colour: unknown key");
  TempFile wrong_type(R"({"gateway": ["192.0.2.7"], "keepalive": "ten"})");
  expect_usage_error({"--config", wrong_type.path()}, ".keepalive: ");
  TempFile not_list(R"({"gateway": "192.0.2.7"})");
  expect_usage_error({"--config", not_list.path()}, ".gateway: expected an array of strings, got string");
  TempFile bad_entry(R"({"gateway": ["192.0.2.7", "2001:db8::1"]})");
  expect_usage_error({"--config", bad_entry.path()}, ".gateway[1]: ");
  TempFile bad_flag(R"({"gateway": ["192.0.2.7"], "trust_any": "yes"})");
  expect_usage_error({"--config", bad_flag.path()}, ".trust_any: expected true or false, got string");
  TempFile range(R"({"gateway": ["192.0.2.7"], "keepalive": 30})");
  expect_usage_error({"--config", range.path()}, ".keepalive: keepalive '30'");
  TempFile other_mode(R"({"mode": "geneve-client", "gateway": ["192.0.2.7"]})");
  expect_usage_error({"--config", other_mode.path()}, ".mode: this file is for geneve-client, not geneve-bypass");
  TempFile flag_spelling(R"({"gateway": ["192.0.2.7"], "flow-timeout": 5})");
  expect_usage_error({"--config", flag_spelling.path()}, ".flow-timeout: unknown key");
  TempFile not_json("{gateway:");
  expect_usage_error({"--config", not_json.path()}, "not valid JSON");
}

TEST(BypassConfig, BadFlagsNameTheFlag) {
  expect_usage_error({}, "no gateway to trust");
  expect_usage_error({"--gateway", "192.0.2.7", "--keepalive", "0"}, "--keepalive: keepalive '0'");
  expect_usage_error({"--gateway", "192.0.2.7/80"}, "--gateway: gateway '192.0.2.7/80'");
  expect_usage_error({"--gateway", "192.0.2.7", "--fallback-priority", "100"}, "--fallback-priority: ");
  expect_usage_error({"--gateway", "192.0.2.7", "--tun", "bp%d"}, "--tun: TUN name 'bp%d' must be a fixed name");
  expect_usage_error({"--gateway", "192.0.2.7", "extra"}, "unexpected argument 'extra'");
  expect_usage_error({"--config", "/nonexistent/b.json", "--gateway", "192.0.2.7"}, "cannot read config file");
}

TEST(BypassConfig, CheckConfigReadsBackToTheSameSettings) {
  TempFile f(R"({"gateway": ["192.0.2.7/64"], "address": "203.0.113.10", "max_flows": 100,
                 "log_file": "/var/log/bypass.log"})");
  const auto cmd = parse_daemon_command({"--config", f.path(), "--check-config", "--keepalive", "5"});
  EXPECT_EQ(cmd.action, DaemonCommand::Action::kCheck);
  const auto settings = settings_json(cmd.config);
  EXPECT_EQ(settings["mode"], "geneve-bypass");
  EXPECT_EQ(settings["keepalive"], 5);
  TempFile back(settings.dump());
  const auto again = parse_daemon_command({"--config", back.path()});
  EXPECT_EQ(settings_json(again.config), settings);
  // Unset optional keys stay out, so the defaults read back too.
  const auto plain = settings_json(parse_daemon_command({"--gateway", "192.0.2.7"}).config);
  EXPECT_FALSE(plain.contains("address"));
  EXPECT_FALSE(plain.contains("log_file"));
  TempFile plain_back(plain.dump());
  EXPECT_EQ(settings_json(parse_daemon_command({"--config", plain_back.path()}).config), plain);
}

}  // namespace
}  // namespace gn::bypass
