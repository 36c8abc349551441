#include "health/reload.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;

namespace gn::health {

CommandResult run_shell_command(const std::string& command, std::chrono::milliseconds limit) {
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  // The child must not inherit our blocked SIGINT/SIGTERM (the event loop's
  // signalfd), or it could not be stopped.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/bin/sh", nullptr, &attr, const_cast<char* const*>(argv), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return {false, std::string("cannot run /bin/sh: ") + std::strerror(rc)};
  const auto end = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return {false, std::string("waitpid: ") + std::strerror(errno)};
    if (std::chrono::steady_clock::now() >= end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return {false, "killed after " + std::to_string(limit.count()) + " ms"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, {}};
  if (WIFEXITED(status)) return {false, "exit status " + std::to_string(WEXITSTATUS(status))};
  return {false, "killed by signal " + std::to_string(WTERMSIG(status))};
}

}  // namespace gn::health
