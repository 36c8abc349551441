// geneve-ctl up: which file, which command, found where, with which
// arguments (the exec itself is run by tests/cli/examples.sh).
#include "config/launch.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_file.hpp"
#include "util/error.hpp"

namespace gn::config {
namespace {

using gn::testing::TempFile;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Launch, InstanceNamesArePlainFileNames) {
  EXPECT_EQ(instance_config_path("/etc/geneve-nat64", "branch1"), "/etc/geneve-nat64/branch1.json");
  for (const char* bad : {"", "../etc/passwd", "a/b", ".hidden"})
    EXPECT_NE(error_of([&] { instance_config_path("/etc/geneve-nat64", bad); }).find("plain file name"),
              std::string::npos)
        << bad;
}

TEST(Launch, ModeNamesTheCommand) {
  TempFile client(R"({"mode": "geneve-client", "vni": 1})");
  EXPECT_EQ(mode_of_file(client.path()), "geneve-client");
  TempFile gateway(R"({"mode": "geneve-nat64-gateway"})");
  EXPECT_EQ(mode_of_file(gateway.path()), "geneve-nat64-gateway");
  TempFile bypass(R"({"mode": "geneve-bypass"})");
  EXPECT_EQ(mode_of_file(bypass.path()), "geneve-bypass");
  TempFile health(R"({"mode": "geneve-nat64-health"})");
  EXPECT_EQ(mode_of_file(health.path()), "geneve-nat64-health");
  TempFile none(R"({"vni": 1})");
  EXPECT_EQ(error_of([&] { mode_of_file(none.path()); }).rfind("config " + none.path() + ": .mode: missing", 0), 0u);
  TempFile other(R"({"mode": "bash"})");
  EXPECT_EQ(error_of([&] { mode_of_file(other.path()); }),
            "config " + other.path() +
                ": .mode: 'bash' is not one of geneve-symmetric, geneve-client, geneve-server, geneve-auto, "
                "geneve-nat64-gateway, geneve-bypass, geneve-nat64-health");
  TempFile number(R"({"mode": 5})");
  EXPECT_EQ(error_of([&] { mode_of_file(number.path()); }),
            "config " + number.path() + ": .mode: expected a string, got number");
  EXPECT_NE(error_of([&] { mode_of_file("/nonexistent/x.json"); }).find("cannot read config file"), std::string::npos);
}

TEST(Launch, CommandNextToGenevectlFirstThenPath) {
  char self_template[] = "/tmp/gn_launchXXXXXX";
  char path_template[] = "/tmp/gn_launchXXXXXX";
  const std::string self = ::mkdtemp(self_template);
  const std::string path = ::mkdtemp(path_template);
  auto make = [](const std::string& file) {
    std::ofstream(file) << "#!/bin/sh\n";
    ::chmod(file.c_str(), 0755);
  };
  make(path + "/geneve-client");
  EXPECT_EQ(find_command("geneve-client", self, "/nonexistent:" + path), path + "/geneve-client");
  make(self + "/geneve-client");
  EXPECT_EQ(find_command("geneve-client", self, "/nonexistent:" + path), self + "/geneve-client");
  EXPECT_NE(error_of([&] { find_command("geneve-server", self, path); }).find("geneve-server not found"),
            std::string::npos);
  // Not executable: not a command.
  std::ofstream(path + "/geneve-auto") << "x";
  EXPECT_NE(error_of([&] { find_command("geneve-auto", "", path); }).find("not found"), std::string::npos);
  std::filesystem::remove_all(self);
  std::filesystem::remove_all(path);
}

TEST(Launch, Arguments) {
  EXPECT_EQ(up_arguments("geneve-server", "/etc/geneve-nat64/s.json", false),
            (std::vector<std::string>{"geneve-server", "--config", "/etc/geneve-nat64/s.json"}));
  EXPECT_EQ(up_arguments("geneve-server", "/e/s.json", true),
            (std::vector<std::string>{"geneve-server", "--config", "/e/s.json", "--check-config"}));
}

}  // namespace
}  // namespace gn::config
