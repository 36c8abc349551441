#include "control/control_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::control {
namespace {

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

StatusServer::StatusServer(const std::string& run_dir, const std::string& ifname)
    : path_(run_dir + "/" + ifname + ".sock") {
  if (::mkdir(run_dir.c_str(), 0700) < 0 && errno != EEXIST) throw_errno("creating run directory " + run_dir);
  if (connect_to(path_)) throw UsageError("an endpoint already serves " + ifname + " (" + path_ + " answers)");
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
}

StatusServer::~StatusServer() {
  ::unlink(path_.c_str());
}

void StatusServer::serve_one(const std::string& document) {
  Fd client(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!client) return;  // EAGAIN or the client went away
  // A server's document with hundreds of peers is larger than a Unix
  // socket's default send buffer (~200 kB): make room for all of it, so one
  // non-blocking send takes it whole (root may exceed wmem_max).
  int want = static_cast<int>(std::min<std::size_t>(document.size() * 2 + 65536, 64u << 20));
  if (::setsockopt(client.get(), SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) < 0)
    ::setsockopt(client.get(), SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
  // Without the privilege the rest goes out as the client reads it, waiting
  // at most 1 s in all: a stuck client cannot hold the endpoint longer.
  std::size_t sent = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (sent < document.size()) {
    ssize_t n = ::send(client.get(), document.data() + sent, document.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{client.get(), POLLOUT, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
  if (sent != document.size()) log::debug("status client on {} took {} of {} bytes", path_, sent, document.size());
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
