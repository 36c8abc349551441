#include "control/control_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::control {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_un make_addr(const std::string& path) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) throw UsageError("socket path '" + path + "' is too long");
  std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  return sun;
}

Fd connect_to(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("creating a Unix socket");
  sockaddr_un sun = make_addr(path);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) < 0) return Fd();
  return fd;
}

}  // namespace

StatusServer::StatusServer(EventLoop& loop, const std::string& run_dir, const std::string& name, Document document,
                           std::chrono::milliseconds client_timeout)
    : StatusServer(loop, run_dir, name, Stream([document = std::make_shared<Document>(std::move(document))] {
                     return Pieces([document](std::string& out) {
                       out = (*document)();  // out is empty: no copy of a large document
                       return true;
                     });
                   }),
                   client_timeout) {}

StatusServer::StatusServer(EventLoop& loop, const std::string& run_dir, const std::string& name, Stream stream,
                           std::chrono::milliseconds client_timeout)
    : loop_(loop), path_(run_dir + "/" + name + ".sock"), stream_(std::move(stream)), client_timeout_(client_timeout) {
  if (::mkdir(run_dir.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("creating run directory " + run_dir);
  if (connect_to(path_)) throw UsageError("an endpoint already serves " + name + " (" + path_ + " answers)");
  ::unlink(path_.c_str());  // a stale socket from a crashed run
  fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) throw_errno("creating status socket " + path_);
  sockaddr_un sun = make_addr(path_);
  // Only root may read the status: it names addresses and peers.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  ::umask(old);
  if (rc < 0) throw_errno("binding status socket " + path_);
  if (::listen(fd_.get(), 16) < 0) throw_errno("listening on status socket " + path_);
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_) throw_errno("creating the status socket's timer");
  loop_.watch(fd_.get(), "the status socket", [this] { on_connect(); });
  loop_.watch(timer_.get(), "the status socket's timer", [this] { on_deadline(); });
}

StatusServer::~StatusServer() {
  for (auto& c : clients_) loop_.unwatch(c.fd.get());
  loop_.unwatch(timer_.get());
  loop_.unwatch(fd_.get());
  ::unlink(path_.c_str());
}

void StatusServer::on_connect() {
  // Every pending connection: each gets a document of its own moment.
  for (;;) {
    Fd fd(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR)
        log::warn("status socket {}: accepting a client failed: {}", path_, std::strerror(errno));
      return;
    }
    if (clients_.size() >= kMaxClients) close_client(clients_.begin(), "too many clients at once");
    Client c{std::move(fd), stream_(), {}, 0, 0, false, Clock::now() + client_timeout_};
    // The usual case for a short document: the socket buffer took it all.
    if (write_some(c) == Progress::kDone) continue;
    clients_.push_back(std::move(c));
    auto it = std::prev(clients_.end());
    // Reading tells us when the client hangs up early (EOF).
    loop_.watch(it->fd.get(), "a status client", [this, it] {
      char buf[256];
      ssize_t n = ::recv(it->fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) close_client(it, "the client hung up");
    });
    wait_writable(it);
    if (clients_.size() == 1) arm_deadline();
  }
}

StatusServer::Progress StatusServer::write_some(Client& c) {
  for (int pieces = 0;;) {
    while (c.sent < c.piece.size()) {
      ssize_t n = ::send(c.fd.get(), c.piece.data() + c.sent, c.piece.size() - c.sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        c.sent += static_cast<std::size_t>(n);
        c.total += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Progress::kBlocked;
      log::debug("status client on {} left after {} bytes", path_, c.total);
      return Progress::kDone;
    }
    if (c.last) return Progress::kDone;
    if (pieces++ == kPiecesPerTurn) return Progress::kMore;
    c.piece.clear();
    c.sent = 0;
    c.last = c.next(c.piece);
  }
}

void StatusServer::wait_writable(ClientList::iterator it) {
  // After kMore the socket is still writable: the loop calls this again at
  // once, after the other events of its turn.
  loop_.when_writable(it->fd.get(), [this, it] {
    if (write_some(*it) == Progress::kDone)
      close_client(it, nullptr);
    else
      wait_writable(it);
  });
}

void StatusServer::close_client(ClientList::iterator it, const char* why) {
  if (why && !(it->last && it->sent == it->piece.size()))
    log::info("status socket {}: closing a client after {} bytes, before the end of its document: {}", path_, it->total,
              why);
  const bool oldest = it == clients_.begin();
  loop_.unwatch(it->fd.get());
  clients_.erase(it);
  if (oldest) arm_deadline();
}

void StatusServer::on_deadline() {
  std::uint64_t expirations;
  [[maybe_unused]] ssize_t n = ::read(timer_.get(), &expirations, sizeof expirations);
  auto now = Clock::now();
  // Clients are in order of arrival, so of deadline too.
  while (!clients_.empty() && clients_.front().deadline <= now)
    close_client(clients_.begin(), "it did not read its status within the time allowed");
  arm_deadline();
}

void StatusServer::arm_deadline() {
  itimerspec spec{};  // all zero: disarmed
  if (!clients_.empty()) {
    auto left = std::max(clients_.front().deadline - Clock::now(), Clock::duration(std::chrono::milliseconds(1)));
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  if (::timerfd_settime(timer_.get(), 0, &spec, nullptr) < 0) throw_errno("arming the status socket's timer");
}

std::string read_status(const std::string& socket_path) {
  Fd fd = connect_to(socket_path);
  if (!fd) throw_errno("connecting to " + socket_path + " (is the endpoint running?)");
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("reading from " + socket_path);
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace gn::control
