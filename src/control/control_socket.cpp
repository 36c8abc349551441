#include "control/control_socket.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/log.hpp"

namespace gn::control {
namespace {

using Clock = std::chrono::steady_clock;

// An abstract address: sun_path starts with NUL, the name follows without a
// terminator, and the length passed to bind/connect says where it ends.
struct Address {
  sockaddr_un sun{};
  socklen_t len = 0;
};

Address make_addr(const std::string& name) {
  Address a;
  a.sun.sun_family = AF_UNIX;
  if (name.size() + 1 > sizeof a.sun.sun_path)
    throw UsageError("status socket name '" + name + "' is too long (at most " +
                     std::to_string(sizeof a.sun.sun_path - 1) + " bytes: a shorter --run-dir or name)");
  std::memcpy(a.sun.sun_path + 1, name.data(), name.size());
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

std::optional<ucred> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return std::nullopt;
  return cred;
}

// Root may read anyone's status and anyone may read their own: what a
// 0600 socket file in a root-owned directory allowed before.
bool trusted(const ucred& cred) {
  return cred.uid == 0 || cred.uid == ::geteuid();
}

// Connected, or invalid when nothing listens on the name.
Fd connect_to(const std::string& name) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("creating a Unix socket");
  Address a = make_addr(name);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a.sun), a.len) < 0) return Fd();
  return fd;
}

std::string printable(const std::string& name) {
  return "@" + name;
}

}  // namespace

std::string status_address(const std::string& run_dir, const std::string& name) {
  return run_dir + "/" + name + ".sock";
}

std::vector<std::string> list_status(const std::string& run_dir) {
  // /proc/net is the reading process's network namespace: exactly the
  // sockets a connect from here would reach. Lines: "Num RefCount Protocol
  // Flags Type St Inode Path", the path of an abstract name with "@" for
  // its NUL; listening sockets have __SO_ACCEPTCON (0x10000) in Flags.
  const std::string text = read_file("/proc/net/unix", "the Unix socket table", 64u << 20);
  const std::string prefix = "@" + run_dir + "/";
  const std::string suffix = ".sock";
  std::vector<std::string> names;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string num, refs, proto, flags, type, state, inode;
    if (!(fields >> num >> refs >> proto >> flags >> type >> state >> inode)) continue;
    std::string path;
    std::getline(fields >> std::ws, path);
    if ((std::strtoul(flags.c_str(), nullptr, 16) & 0x10000u) == 0) continue;
    if (path.size() <= prefix.size() + suffix.size() || path.compare(0, prefix.size(), prefix) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (name.find('/') == std::string::npos) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

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
    : loop_(loop),
      path_(printable(status_address(run_dir, name))),
      stream_(std::move(stream)),
      client_timeout_(client_timeout) {
  const std::string address = status_address(run_dir, name);
  const Address a = make_addr(address);
  fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) throw_errno("creating status socket " + path_);
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&a.sun), a.len) < 0) {
    if (errno != EADDRINUSE) throw_errno("binding status socket " + path_);
    // Held by a live process (an abstract name dies with its last holder):
    // say which, so an operator can tell a second start from a squatter.
    std::string holder;
    if (Fd other = connect_to(address))
      if (auto cred = peer_credentials(other.get())) holder = fmt::format(" by pid {} uid {}", cred->pid, cred->uid);
    throw UsageError("an endpoint already serves " + name + " in this network namespace (" + path_ + " is held" +
                     holder + ")");
  }
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
}

bool StatusServer::peer_allowed(int fd) {
  auto cred = peer_credentials(fd);
  if (!cred) {
    log::warn("status socket {}: cannot read a client's credentials: {}", path_, std::strerror(errno));
    return false;
  }
  if (trusted(*cred)) return true;
  log::warn("status socket {}: refused pid {} uid {} (only root and uid {} may read the status)", path_, cred->pid,
            cred->uid, ::geteuid());
  return false;
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
    if (!peer_allowed(fd.get())) continue;  // closed: it reads EOF and nothing else
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

std::string read_status(const std::string& run_dir, const std::string& name) {
  const std::string address = status_address(run_dir, name);
  const std::string where = printable(address);
  Fd fd = connect_to(address);
  if (!fd) throw_errno("connecting to " + where + " (is " + name + " running in this network namespace?)");
  // An abstract name can be bound by anyone in the namespace: read only
  // what root or we ourselves serve.
  auto cred = peer_credentials(fd.get());
  if (!cred) throw_errno("reading the credentials of " + where);
  if (!trusted(*cred))
    throw std::runtime_error(
        fmt::format("{} is served by pid {} uid {}, neither root nor us: not reading it", where, cred->pid, cred->uid));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("reading from " + where);
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  // A document is never empty: the server closed at once, as it does for a
  // client that is neither root nor its uid.
  if (out.empty())
    throw std::runtime_error(
        fmt::format("{} sent nothing (refused? only root and uid {} may read it)", where, cred->uid));
  return out;
}

}  // namespace gn::control
