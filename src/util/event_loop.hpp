#pragma once
// A single-threaded epoll loop that also owns the exit signals: SIGINT and
// SIGTERM arrive through a signalfd, so a signal is just another event and
// every handler runs to completion before the loop returns.
#include <chrono>
#include <functional>
#include <unordered_map>

#include "util/fd.hpp"

namespace gn {

// Blocks SIGINT and SIGTERM (so they queue for the signalfd) and ignores
// SIGPIPE. Call first thing in main, before any thread exists.
void block_exit_signals();

class EventLoop {
 public:
  EventLoop();
  // Calls on_readable whenever fd is readable. `what` names fd in errors.
  void watch(int fd, const char* what, std::function<void()> on_readable);
  // Stops watching fd (before it is closed).
  void unwatch(int fd);
  // Called before every wait: does what is due and returns when it next
  // wants to be called (time_point::max() for never).
  void set_timer(std::function<std::chrono::steady_clock::time_point()> on_timer) { timer_ = std::move(on_timer); }
  // Runs until SIGINT or SIGTERM; returns the signal's number.
  int run();

 private:
  Fd epoll_;
  Fd signal_fd_;
  std::unordered_map<int, std::function<void()>> handlers_;
  std::function<std::chrono::steady_clock::time_point()> timer_;
};

}  // namespace gn
