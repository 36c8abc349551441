#pragma once
// geneve-ctl up NAME: the command a configuration file names in its "mode"
// key, run with that file. What systemd's geneve-nat64@NAME.service starts
// (ExecStart=geneve-ctl up %i): the command replaces geneve-ctl (exec), so
// it is the service's main process and its exit status is the unit's.
#include <string>
#include <vector>

namespace gn::config {

// The commands a file's "mode" may name.
const std::vector<std::string>& launchable_commands();

// DIR/NAME.json. NAME (a systemd instance name) must be a plain file name:
// not empty, no '/', not starting with '.'. Throws UsageError.
std::string instance_config_path(const std::string& dir, const std::string& name);

// The file's "mode", one of launchable_commands(). Throws UsageError
// "config FILE: .mode: ..." (also for an unreadable or malformed file).
std::string mode_of_file(const std::string& file);

// The executable of `command`: in `self_dir` (where geneve-ctl is, so an
// installation runs its own commands), else the first of the directories of
// `path_env` (PATH) that has it. Throws UsageError when none has.
std::string find_command(const std::string& command, const std::string& self_dir, const std::string& path_env);

// The arguments the command is run with: COMMAND --config FILE
// [--check-config].
std::vector<std::string> up_arguments(const std::string& command, const std::string& file, bool check);

// Finds the command for `file` (next to this executable, then PATH) and
// execs it. Returns only on failure: throws UsageError for a bad file or
// a command not found, SystemError when exec fails.
void exec_up(const std::string& file, bool check);

}  // namespace gn::config
