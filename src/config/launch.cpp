#include "config/launch.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "util/config_file.hpp"
#include "util/error.hpp"

namespace gn::config {

const std::vector<std::string>& launchable_commands() {
  static const std::vector<std::string> commands = {"geneve-symmetric",   "geneve-client",        "geneve-server",
                                                    "geneve-auto",        "geneve-nat64-gateway", "geneve-bypass",
                                                    "geneve-nat64-health"};
  return commands;
}

std::string instance_config_path(const std::string& dir, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    throw UsageError("instance name '" + name + "' must be a plain file name (no '/', not starting with '.')");
  return dir + "/" + name + ".json";
}

namespace {

std::string command_list() {
  std::string list;
  for (const auto& c : launchable_commands()) list += (list.empty() ? "" : ", ") + c;
  return list;
}

}  // namespace

std::string mode_of_file(const std::string& file) {
  const nlohmann::json doc = read_config_file(file, std::size_t{64} << 20);
  if (!doc.contains("mode"))
    throw UsageError("config " + file + ": .mode: missing (the command that runs this file: " + command_list() + ")");
  std::string mode;
  try {
    mode = expect_string(doc["mode"], ".mode");
  } catch (const UsageError& e) {
    throw UsageError("config " + file + ": " + e.what());
  }
  const auto& commands = launchable_commands();
  if (std::find(commands.begin(), commands.end(), mode) == commands.end())
    throw UsageError("config " + file + ": .mode: '" + mode + "' is not one of " + command_list());
  return mode;
}

std::string find_command(const std::string& command, const std::string& self_dir, const std::string& path_env) {
  std::vector<std::string> dirs;
  if (!self_dir.empty()) dirs.push_back(self_dir);
  std::size_t start = 0;
  while (start <= path_env.size()) {
    std::size_t end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    // An empty PATH entry means the current directory: not for a service.
    if (end > start) dirs.push_back(path_env.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& dir : dirs) {
    std::string candidate = dir + "/" + command;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw UsageError(command + " not found next to geneve-ctl" + (self_dir.empty() ? "" : " (" + self_dir + ")") +
                   " or in PATH");
}

std::vector<std::string> up_arguments(const std::string& command, const std::string& file, bool check) {
  std::vector<std::string> args = {command, "--config", file};
  if (check) args.emplace_back("--check-config");
  return args;
}

void exec_up(const std::string& file, bool check) {
  const std::string mode = mode_of_file(file);
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const char* path_env = std::getenv("PATH");
  const std::string exe =
      find_command(mode, ec ? std::string() : self.parent_path().string(), path_env ? path_env : "/usr/sbin:/usr/bin");
  const auto args = up_arguments(mode, file, check);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(exe.c_str(), argv.data());
  throw_errno("cannot run " + exe);
}

}  // namespace gn::config
