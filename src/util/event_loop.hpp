#pragma once
// A single-threaded epoll loop. The process's main loop also owns the exit
// signals: SIGINT and SIGTERM arrive through a signalfd, so a signal is just
// another event and every handler runs to completion before the loop
// returns. A worker thread's loop (ExitSignals::kIgnore) leaves the signals
// to the main loop and ends when stop() is called from any thread.
#include <chrono>
#include <functional>
#include <unordered_map>
#include <vector>

#include "util/fd.hpp"

namespace gn {

// Blocks SIGINT and SIGTERM (so they queue for the signalfd) and ignores
// SIGPIPE. Call first thing in main, before any thread exists.
void block_exit_signals();

class EventLoop {
 public:
  enum class ExitSignals { kHandle, kIgnore };
  explicit EventLoop(ExitSignals signals = ExitSignals::kHandle);
  // Makes run() return 0 soon (or the next run(), if none is running); the
  // only member safe to call from another thread than the one running the
  // loop. The loop may be run again afterwards.
  void stop();
  // Calls on_readable whenever fd is readable. `what` names fd in errors.
  void watch(int fd, const char* what, std::function<void()> on_readable);
  // Stops watching fd (before it is closed). A handler may unwatch its own
  // fd, or any other.
  void unwatch(int fd);
  // Stops (false) or resumes (true) calling on_readable for a watched fd, as
  // a data plane does with its TAPs while the socket they feed is full.
  void set_reading(int fd, bool on);
  // Calls on_writable once, the next time the watched fd is writable.
  void when_writable(int fd, std::function<void()> on_writable);
  // Called before every wait: does what is due and returns when it next
  // wants to be called (time_point::max() for never).
  void set_timer(std::function<std::chrono::steady_clock::time_point()> on_timer) { timer_ = std::move(on_timer); }
  // Runs until SIGINT or SIGTERM (returns the signal's number) or stop()
  // (returns 0).
  int run();

 private:
  Fd epoll_;
  Fd signal_fd_;
  Fd stop_fd_;  // an eventfd
  struct Watch {
    std::function<void()> readable;
    std::function<void()> writable;  // set only while waiting for EPOLLOUT
    bool reading = true;
  };
  void update(int fd, const Watch& w);
  std::unordered_map<int, Watch> handlers_;
  // Handlers unwatched while events are dispatched, freed after the batch.
  bool dispatching_ = false;
  std::vector<Watch> retired_;
  std::function<std::chrono::steady_clock::time_point()> timer_;
};

}  // namespace gn
