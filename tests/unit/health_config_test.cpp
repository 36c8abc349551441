// geneve-nat64-health configuration: flags, the JSON file through the shared
// reader, flags over the file, --check-config's settings reading back, and
// the one-line errors naming the entry.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/config.hpp"
#include "temp_file.hpp"
#include "util/error.hpp"

namespace gn::health {
namespace {

using Args = std::vector<std::string>;
using testing::TempFile;

const Args kMinimal = {"--prefix", "2001:db8:64:a::/96", "--target", "203.0.113.10", "--fragment", "/tmp/dns64.conf"};

Args with(Args extra) {
  Args a = kMinimal;
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string prefixes(const HealthConfig& c) {
  std::string out;
  for (const auto& p : c.prefixes) out += (out.empty() ? "" : " ") + p.to_string();
  return out;
}

void expect_usage_error(const Args& args, const std::string& needle) {
  try {
    parse_health_command(args);
    ADD_FAILURE() << "no error; wanted one mentioning '" << needle << "'";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST(HealthConfig, Defaults) {
  const auto cmd = parse_health_command(kMinimal);
  const HealthConfig& c = cmd.config;
  EXPECT_EQ(cmd.action, HealthCommand::Action::kRun);
  EXPECT_EQ(prefixes(c), "2001:db8:64:a::/96");
  EXPECT_EQ(c.target->to_string(), "203.0.113.10");
  EXPECT_EQ(c.fragment, "/tmp/dns64.conf");
  EXPECT_EQ(c.lists.clients, (std::vector<std::string>{"any"}));
  EXPECT_EQ(c.lists.exclude, (std::vector<std::string>{"::/3", "4000::/2", "8000::/1"}));
  EXPECT_EQ(c.policy.interval.count(), 1000);
  EXPECT_EQ(c.policy.timeout.count(), 1000);
  EXPECT_EQ(c.policy.rise, 2u);
  EXPECT_EQ(c.policy.fall, 3u);
  EXPECT_EQ(c.reload_command, "rndc reload");
  EXPECT_EQ(c.run_dir, "/run/geneve-nat64");
  EXPECT_FALSE(c.once);
  EXPECT_EQ(c.probe, ProbeKind::kIcmp);
  EXPECT_EQ(c.port, 7);
}

TEST(HealthConfig, UdpProbes) {
  const auto c = parse_health_command(with({"--probe", "udp", "--port", "7007"})).config;
  EXPECT_EQ(c.probe, ProbeKind::kUdp);
  EXPECT_EQ(c.port, 7007);
  expect_usage_error(with({"--probe", "tcp"}), "probe 'tcp' must be icmp or udp");
  expect_usage_error(with({"--port", "70000"}), "--port");
}

TEST(HealthConfig, ListsRepeatAndReplaceTheDefaults) {
  const auto c =
      parse_health_command(with({"--prefix", "2001:db8:64:b::/96", "--clients", "2001:db8:d::/64", "--clients",
                                 "!2001:db8:d::66", "--exclude", "8000::/1", "--interval", "200", "--timeout", "150",
                                 "--rise", "1", "--fall", "2", "--reload-command", "", "--once"}))
          .config;
  EXPECT_EQ(prefixes(c), "2001:db8:64:a::/96 2001:db8:64:b::/96");
  EXPECT_EQ(c.lists.clients, (std::vector<std::string>{"2001:db8:d::/64", "!2001:db8:d::66"}));
  EXPECT_EQ(c.lists.exclude, (std::vector<std::string>{"8000::/1"}));
  EXPECT_EQ(c.policy.interval.count(), 200);
  EXPECT_EQ(c.policy.timeout.count(), 150);
  EXPECT_EQ(c.policy.rise, 1u);
  EXPECT_EQ(c.policy.fall, 2u);
  EXPECT_EQ(c.reload_command, "");
  EXPECT_TRUE(c.once);
}

TEST(HealthConfig, FileThenFlagsOverride) {
  TempFile f(R"({"mode": "geneve-nat64-health", "prefix": ["2001:db8:64:a::/96", "2001:db8:64:b::/96"],
                 "target": "203.0.113.10", "fragment": "/tmp/f.conf", "exclude": [], "fall": 5,
                 "reload_command": "rndc -p 953 reload"})");
  auto c = parse_health_command({"--config", f.path()}).config;
  EXPECT_EQ(prefixes(c), "2001:db8:64:a::/96 2001:db8:64:b::/96");
  EXPECT_TRUE(c.lists.exclude.empty());
  EXPECT_EQ(c.policy.fall, 5u);
  EXPECT_EQ(c.reload_command, "rndc -p 953 reload");
  c = parse_health_command({"--config", f.path(), "--prefix", "2001:db8:64:c::/96", "--fall", "1"}).config;
  EXPECT_EQ(prefixes(c), "2001:db8:64:c::/96");
  EXPECT_EQ(c.policy.fall, 1u);
}

TEST(HealthConfig, CheckConfigReadsBack) {
  const auto first = parse_health_command(
      with({"--prefix", "2001:db8:64:b::/96", "--clients", "localnets", "--probe", "udp", "--check-config"}));
  EXPECT_EQ(first.action, HealthCommand::Action::kCheck);
  const auto settings = settings_json(first.config);
  EXPECT_EQ(settings["mode"], "geneve-nat64-health");
  TempFile f(settings.dump());
  const auto again = parse_health_command({"--config", f.path()});
  EXPECT_EQ(settings_json(again.config), settings);
}

TEST(HealthConfig, BadInputNamesTheEntry) {
  expect_usage_error({"--prefix", "2001:db8:64:a::/96", "--prefix", "2001:db8:64:b::/95", "--target", "203.0.113.10",
                      "--fragment", "/tmp/x"},
                     "prefix entry '2001:db8:64:b::/95'");
  expect_usage_error({"--prefix", "203.0.113.0/24", "--target", "203.0.113.10", "--fragment", "/tmp/x"},
                     "prefix entry '203.0.113.0/24'");
  expect_usage_error({"--prefix", "2001:db8:64:a::/96", "--fragment", "/tmp/x"}, "no probe target");
  expect_usage_error({"--target", "203.0.113.10", "--fragment", "/tmp/x"}, "no NAT64 prefix");
  expect_usage_error({"--prefix", "2001:db8:64:a::/96", "--target", "203.0.113.10"}, "no fragment file");
  expect_usage_error(with({"--target", "2001:db8::1"}), "--target");
  expect_usage_error(with({"--clients", "everyone"}), "clients entry 'everyone'");
  expect_usage_error(with({"--exclude", "192.0.2.0/24"}), "exclude entry '192.0.2.0/24'");
  expect_usage_error(with({"--prefix", "2001:db8:64:A::/96"}), "given twice");
  expect_usage_error(with({"--timeout", "2000"}), "longer than the interval");
  expect_usage_error(with({"extra"}), "unexpected argument 'extra'");
  TempFile f(R"({"prefix": ["2001:db8:64:a::/96", "nonsense"], "target": "203.0.113.10", "fragment": "/tmp/x"})");
  expect_usage_error({"--config", f.path()}, ".prefix[1]");
  TempFile other(R"({"mode": "geneve-client"})");
  expect_usage_error({"--config", other.path()}, "this file is for geneve-client, not geneve-nat64-health");
}

TEST(HealthConfig, Status) {
  const auto cmd = parse_health_command({"status", "--json", "--run-dir", "/run/x"});
  EXPECT_EQ(cmd.action, HealthCommand::Action::kStatus);
  EXPECT_TRUE(cmd.json);
  EXPECT_EQ(cmd.config.run_dir, "/run/x");
  expect_usage_error({"status", "--prefix", "x"}, "status:");
}

}  // namespace
}  // namespace gn::health
