#include "util/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <string>

#include "util/error.hpp"

namespace gn {
namespace {

sigset_t exit_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_exit_signals() {
  sigset_t set = exit_signals();
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) throw_errno("blocking SIGINT/SIGTERM");
  std::signal(SIGPIPE, SIG_IGN);
}

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw_errno("creating epoll");
  sigset_t set = exit_signals();
  signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) throw_errno("creating signalfd");
  watch(signal_fd_.get(), "the signalfd", nullptr);
}

void EventLoop::watch(int fd, const char* what, std::function<void()> on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno(std::string("watching ") + what);
  handlers_[fd] = std::move(on_readable);
}

void EventLoop::unwatch(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

int EventLoop::run() {
  std::array<epoll_event, 16> events{};
  for (;;) {
    int timeout_ms = -1;
    if (timer_) {
      auto deadline = timer_();
      if (deadline != std::chrono::steady_clock::time_point::max()) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        timeout_ms = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
      }
    }
    int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("waiting for events");
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == signal_fd_.get()) {
        signalfd_siginfo si{};
        if (::read(fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) return static_cast<int>(si.ssi_signo);
        continue;
      }
      if (auto h = handlers_.find(fd); h != handlers_.end()) h->second();
    }
  }
}

}  // namespace gn
