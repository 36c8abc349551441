// StatusServer: a client that does not read never holds the event loop; a
// slow client still gets the whole document; a stuck one is cut off at its
// deadline; a client that hangs up early is forgotten; a document made in
// pieces arrives whole, each piece made only when the last was taken. The
// socket is an abstract name: listed per run directory, free again the
// moment its holder is killed, and served only to root or our own uid.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "control/control_socket.hpp"
#include "util/event_loop.hpp"
#include "util/fd.hpp"

namespace gn::control {
namespace {

using namespace std::chrono_literals;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/gn-status-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// `path` as StatusServer::path() prints it: "@" + the abstract name.
Fd connect_to(const std::string& path, int rcvbuf) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  // A small receive buffer: the document cannot fit in the socket's buffers.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  EXPECT_EQ(path.substr(0, 1), "@");
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path + 1, path.data() + 1, path.size() - 1);
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), len), 0) << std::strerror(errno);
  return fd;
}

// Runs `loop` until `done` or `limit` of wall time; false on the limit.
template <typename Done>
bool run_until(EventLoop& loop, Done done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  loop.set_timer([&] {
    if (done() || std::chrono::steady_clock::now() >= deadline) loop.stop();
    return std::chrono::steady_clock::now() + 5ms;
  });
  loop.run();
  loop.set_timer(nullptr);
  return done();
}

std::size_t read_available(int fd, std::string& into) {
  char buf[65536];
  std::size_t total = 0;
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return total;
    into.append(buf, static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
  }
}

TEST(StatusServer, ServesALargeDocumentWithoutHoldingTheLoop) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  std::string doc(32u << 20, 'x');  // far more than any socket buffer
  int served = 0;
  StatusServer server(loop, dir.path, "t", [&] {
    ++served;
    return doc;
  });
  Fd client = connect_to(server.path(), 4096);
  // The loop goes on while the client reads nothing: the server holds the
  // rest of the document for it.
  ASSERT_TRUE(run_until(
      loop, [&] { return served == 1 && server.clients() == 1; }, 5000ms));
  int ticks = 0;
  run_until(
      loop, [&] { return ++ticks >= 5; }, 5000ms);
  EXPECT_GE(ticks, 5);
  // Then the client reads, a little at each turn of the loop, to the end.
  std::string got;
  ASSERT_TRUE(run_until(
      loop,
      [&] {
        read_available(client.get(), got);
        return server.clients() == 0;
      },
      20000ms));
  read_available(client.get(), got);
  EXPECT_EQ(got.size(), doc.size());
  EXPECT_EQ(got, doc);
}

TEST(StatusServer, StreamsADocumentInPiecesAsTheClientTakesThem) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  constexpr int kPieces = 200;
  const std::string piece(64u << 10, 'p');  // 12.5 MB in all
  int made = 0, streams = 0;
  StatusServer server(loop, dir.path, "t", [&] {
    ++streams;
    return StatusServer::Pieces([&, n = 0](std::string& out) mutable {
      ++made;
      out += piece;
      out += std::to_string(n);
      return ++n == kPieces;
    });
  });
  Fd client = connect_to(server.path(), 4096);
  ASSERT_TRUE(run_until(
      loop, [&] { return streams == 1 && server.clients() == 1; }, 5000ms));
  // The client reads nothing: the loop turns, and no more pieces are made
  // than the socket's buffers hold (a few), not the whole document.
  int ticks = 0;
  run_until(
      loop, [&] { return ++ticks >= 5; }, 5000ms);
  EXPECT_GE(made, 1);
  EXPECT_LT(made, 10);
  std::string got;
  ASSERT_TRUE(run_until(
      loop,
      [&] {
        read_available(client.get(), got);
        return server.clients() == 0;
      },
      20000ms));
  read_available(client.get(), got);
  std::string want;
  for (int n = 0; n < kPieces; ++n) want += piece + std::to_string(n);
  EXPECT_EQ(made, kPieces);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

// However fast the client reads, one turn of the loop makes at most
// kPiecesPerTurn pieces: other events get their turn between.
TEST(StatusServer, MakesABoundedNumberOfPiecesPerTurn) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  int made = 0, most = 0, since_tick = 0;
  StatusServer server(loop, dir.path, "t", [&] {
    return StatusServer::Pieces([&](std::string& out) {
      ++made;
      most = std::max(most, ++since_tick);
      out += "x";  // tiny: the socket always takes it
      return made == 100;
    });
  });
  Fd client = connect_to(server.path(), 1 << 16);
  std::string got;
  ASSERT_TRUE(run_until(
      loop,
      [&] {
        since_tick = 0;
        read_available(client.get(), got);
        return made == 100 && server.clients() == 0;
      },
      5000ms));
  read_available(client.get(), got);
  EXPECT_EQ(got, std::string(100, 'x'));
  EXPECT_LE(most, StatusServer::kPiecesPerTurn);
  EXPECT_GE(most, 1);
}

TEST(StatusServer, CutsOffAStuckClientAtItsDeadline) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  std::string doc(32u << 20, 'y');
  StatusServer server(
      loop, dir.path, "t", [&] { return doc; }, 200ms);
  Fd client = connect_to(server.path(), 4096);
  ASSERT_TRUE(run_until(
      loop, [&] { return server.clients() == 1; }, 5000ms));
  // Never read: the server gives up on it.
  ASSERT_TRUE(run_until(
      loop, [&] { return server.clients() == 0; }, 5000ms));
  std::string got;
  read_available(client.get(), got);
  EXPECT_LT(got.size(), doc.size());
}

TEST(StatusServer, ForgetsAClientThatHangsUp) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  std::string doc(32u << 20, 'z');
  StatusServer server(loop, dir.path, "t", [&] { return doc; });
  {
    Fd client = connect_to(server.path(), 4096);
    ASSERT_TRUE(run_until(
        loop, [&] { return server.clients() == 1; }, 5000ms));
  }  // closed before reading
  EXPECT_TRUE(run_until(
      loop, [&] { return server.clients() == 0; }, 5000ms));
}

TEST(StatusServer, ServesAtMostTheLimitAtOnce) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  std::string doc(32u << 20, 'w');
  StatusServer server(loop, dir.path, "t", [&] { return doc; });
  std::vector<Fd> clients;
  // One at a time, each accepted before the next (a connect blocks while
  // the listen backlog is full); none reads.
  for (std::size_t i = 0; i < StatusServer::kMaxClients + 4; ++i) {
    clients.push_back(connect_to(server.path(), 4096));
    const std::size_t want = std::min(i + 1, StatusServer::kMaxClients);
    ASSERT_TRUE(run_until(
        loop, [&] { return server.clients() == want; }, 5000ms))
        << "client " << i;
  }
  // The oldest were cut off for the newest: the first client's document
  // ends short, with EOF.
  std::string got;
  run_until(
      loop,
      [&] {
        read_available(clients.front().get(), got);
        char c;
        return ::recv(clients.front().get(), &c, 1, MSG_DONTWAIT) == 0;
      },
      5000ms);
  EXPECT_LT(got.size(), doc.size());
  EXPECT_EQ(server.clients(), StatusServer::kMaxClients);
}

TEST(StatusServer, ASecondServerOfTheSameNameIsRefusedAndToldWhoHoldsIt) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  StatusServer server(loop, dir.path, "t", [] { return std::string("{}"); });
  EXPECT_EQ(server.path(), "@" + dir.path + "/t.sock");
  try {
    StatusServer second(loop, dir.path, "t", [] { return std::string("{}"); });
    ADD_FAILURE() << "a second server of the same name started";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("already serves t"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid())), std::string::npos) << e.what();
  }
}

TEST(StatusServer, ListsTheListeningNamesOfItsRunDirectoryOnce) {
  TempDir dir, other;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  std::string doc(32u << 20, 'l');
  StatusServer u(loop, dir.path, "u", [&] { return doc; });
  StatusServer t(loop, dir.path, "t", [&] { return doc; });
  StatusServer elsewhere(loop, other.path, "v", [&] { return doc; });
  EXPECT_TRUE(list_status(dir.path + "/none").empty());
  // An accepted connection carries the listener's name in /proc/net/unix:
  // it must not count as a second endpoint.
  Fd client = connect_to(t.path(), 4096);
  ASSERT_TRUE(run_until(
      loop, [&] { return t.clients() == 1; }, 5000ms));
  EXPECT_EQ(list_status(dir.path), (std::vector<std::string>{"t", "u"}));
  EXPECT_EQ(list_status(other.path), (std::vector<std::string>{"v"}));
}

TEST(StatusServer, ReadStatusReadsTheWholeDocument) {
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  std::string doc(1u << 20, 'r');
  StatusServer server(loop, dir.path, "t", [&] { return doc; });
  // The reader blocks; the loop serves it meanwhile.
  auto got = std::async(std::launch::async, [&] { return read_status(dir.path, "t"); });
  ASSERT_TRUE(run_until(
      loop, [&] { return got.wait_for(0ms) == std::future_status::ready; }, 10000ms));
  EXPECT_EQ(got.get(), doc);
  EXPECT_THROW(read_status(dir.path, "missing"), std::exception);
}

// The name is the kernel's, not a file: a holder killed with SIGKILL leaves
// nothing behind, and the next start takes the name at once.
TEST(StatusServer, AKilledHoldersNameIsFreeAtOnce) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    EventLoop loop(EventLoop::ExitSignals::kIgnore);
    StatusServer server(loop, dir.path, "t", [] { return std::string("{}"); });
    char c = 1;
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  EXPECT_ANY_THROW(StatusServer(loop, dir.path, "t", [] { return std::string("{}"); }));
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  StatusServer server(loop, dir.path, "t", [] { return std::string("{\"restarted\":1}"); });
  EXPECT_EQ(list_status(dir.path), (std::vector<std::string>{"t"}));
}

// Anyone in the namespace can connect to an abstract name: the server's
// check of the peer's credentials is what keeps the status root's.
TEST(StatusServer, ServesNothingToAnotherUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another uid";
  TempDir dir;
  EventLoop loop(EventLoop::ExitSignals::kIgnore);
  StatusServer server(loop, dir.path, "t", [] { return std::string("{\"secret\":1}"); });
  const std::string& path = server.path();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit 0: connected and read EOF with no byte; 1: read something; 2: setup failed.
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path + 1, path.data() + 1, path.size() - 1);
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), len) != 0) ::_exit(2);
    char buf[64];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    ::_exit(n == 0 ? 0 : 1);
  }
  int status = -1;
  bool reaped = false;
  ASSERT_TRUE(run_until(
      loop, [&] { return reaped = reaped || ::waitpid(child, &status, WNOHANG) == child; }, 10000ms));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the other uid read the status; 2: it could not connect";
  // Root still reads it.
  auto got = std::async(std::launch::async, [&] { return read_status(dir.path, "t"); });
  ASSERT_TRUE(run_until(
      loop, [&] { return got.wait_for(0ms) == std::future_status::ready; }, 10000ms));
  EXPECT_EQ(got.get(), "{\"secret\":1}");
}

}  // namespace
}  // namespace gn::control
