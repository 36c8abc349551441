#pragma once
// Running the operator's reload command ("rndc reload") after the fragment
// changed: /bin/sh -c CMD, its output to ours (the log), bounded in time so
// a hung rndc cannot stop the probes for long.
#include <chrono>
#include <string>

namespace gn::health {

struct CommandResult {
  bool ok = false;
  std::string error;  // "exit status 1", "killed after 10 s", "cannot run /bin/sh: ..."
};

CommandResult run_shell_command(const std::string& command, std::chrono::milliseconds limit);

}  // namespace gn::health
