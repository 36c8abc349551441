#include "util/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <stdexcept>
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

EventLoop::EventLoop(ExitSignals signals) : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw_errno("creating epoll");
  if (signals == ExitSignals::kHandle) {
    sigset_t set = exit_signals();
    signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd_) throw_errno("creating signalfd");
    watch(signal_fd_.get(), "the signalfd", nullptr);
  }
  stop_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_fd_) throw_errno("creating an eventfd");
  watch(stop_fd_.get(), "the stop eventfd", nullptr);
}

void EventLoop::stop() {
  std::uint64_t one = 1;
  // An eventfd write cannot fail short of an overflowing counter.
  [[maybe_unused]] ssize_t n = ::write(stop_fd_.get(), &one, sizeof one);
}

void EventLoop::watch(int fd, const char* what, std::function<void()> on_readable) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno(std::string("watching ") + what);
  handlers_[fd] = Watch{std::move(on_readable), nullptr, true};
}

void EventLoop::unwatch(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  auto it = handlers_.find(fd);
  if (it == handlers_.end()) return;
  // A handler may unwatch its own fd: keep its callable alive until the
  // handler has returned.
  if (dispatching_) retired_.push_back(std::move(it->second));
  handlers_.erase(it);
}

void EventLoop::update(int fd, const Watch& w) {
  epoll_event ev{};
  ev.events = (w.reading ? EPOLLIN : 0u) | (w.writable ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0)
    throw_errno("changing what is watched on fd " + std::to_string(fd));
}

void EventLoop::set_reading(int fd, bool on) {
  auto it = handlers_.find(fd);
  if (it == handlers_.end() || it->second.reading == on) return;
  it->second.reading = on;
  update(fd, it->second);
}

void EventLoop::when_writable(int fd, std::function<void()> on_writable) {
  auto it = handlers_.find(fd);
  if (it == handlers_.end()) throw std::logic_error("when_writable on an fd that is not watched");
  it->second.writable = std::move(on_writable);
  update(fd, it->second);
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
    dispatching_ = true;
    struct EndDispatch {
      EventLoop& loop;
      ~EndDispatch() {
        loop.dispatching_ = false;
        loop.retired_.clear();
      }
    } end_dispatch{*this};
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == stop_fd_.get()) {
        // Consumed, so that the loop can be run again.
        std::uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(fd, &count, sizeof count);
        return 0;
      }
      if (signal_fd_ && fd == signal_fd_.get()) {
        signalfd_siginfo si{};
        if (::read(fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) return static_cast<int>(si.ssi_signo);
        continue;
      }
      const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
      // Look the fd up again before each call: a handler may unwatch fds.
      if (what & EPOLLOUT) {
        if (auto h = handlers_.find(fd); h != handlers_.end() && h->second.writable) {
          auto cb = std::move(h->second.writable);
          h->second.writable = nullptr;
          update(fd, h->second);
          cb();
        }
      }
      if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (auto h = handlers_.find(fd); h != handlers_.end() && h->second.reading && h->second.readable)
          h->second.readable();
      }
    }
  }
}

}  // namespace gn
