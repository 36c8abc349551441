// EventLoop: a worker's loop ends on stop() from another thread; reading
// can be paused and resumed; a writable callback fires once.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "util/event_loop.hpp"
#include "util/fd.hpp"

namespace gn {
namespace {

struct Pair {
  Fd a, b;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds), 0);
    a.reset(fds[0]);
    b.reset(fds[1]);
  }
};

TEST(EventLoop, WorkerLoopStopsFromAnotherThread) {
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  std::atomic<int> rc{-1};
  std::thread t([&] { rc = loop.run(); });
  loop.stop();
  t.join();
  EXPECT_EQ(rc.load(), 0);
}

TEST(EventLoop, PausedReadingAndOneShotWritable) {
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  Pair p;
  int reads = 0, writable = 0;
  loop.watch(p.a.get(), "a", [&] {
    char c;
    while (::read(p.a.get(), &c, 1) == 1) ++reads;
    loop.set_reading(p.a.get(), false);  // paused: more data must not wake us
    ASSERT_EQ(::write(p.b.get(), "y", 1), 1);
    loop.when_writable(p.a.get(), [&] {
      ++writable;
      loop.stop();
    });
  });
  ASSERT_EQ(::write(p.b.get(), "x", 1), 1);
  EXPECT_EQ(loop.run(), 0);
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(writable, 1);
}

}  // namespace
}  // namespace gn
