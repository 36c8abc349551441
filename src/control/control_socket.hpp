#pragma once
// The local status socket: an abstract Unix stream socket named
// "<run dir>/<name>.sock" (no file: Linux scopes abstract names per network
// namespace, so endpoints of the same name in two namespaces never meet, and
// the name dies with its process, so a killed endpoint leaves nothing that
// could block the next start). Served to root and to our own uid only, by
// the peer's credentials (SO_PEERCRED) on both ends; docs/architecture.md
// "The status socket". A client connects and reads one JSON document until
// EOF; it sends nothing.
//
// Serving never blocks the event loop it runs in: the document is made in
// pieces (a server's status: the header, then some peers at a time, then
// the end), the first when a client connects and each next one only when
// the client has taken the last (EPOLLOUT), at most kPiecesPerTurn per
// turn of the loop; so one client costs bounded work per loop iteration
// however long the document is. A
// client that has not taken all of it within the client timeout (5 s) is
// cut off, and at most kMaxClients are served at once (the oldest is cut
// off for a new one), so a stuck or hostile client costs a bounded amount
// of memory and nothing else.
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <vector>

#include "util/event_loop.hpp"
#include "util/fd.hpp"

namespace gn::control {

class StatusServer {
 public:
  static constexpr std::size_t kMaxClients = 16;
  static constexpr std::chrono::milliseconds kClientTimeout{5000};
  static constexpr int kPiecesPerTurn = 4;
  // Appends the next piece of one client's document to `out` (empty when
  // called); true when that was the last piece.
  using Pieces = std::function<bool(std::string& out)>;
  // Starts the document for one client (when it connects).
  using Stream = std::function<Pieces()>;
  // Builds the whole document for one client: a stream of one piece.
  using Document = std::function<std::string()>;

  // Binds the abstract name status_address(run_dir, name) in this network
  // namespace and serves it in `loop`. If the name is taken, another
  // endpoint of this namespace owns it: UsageError naming the holder.
  StatusServer(EventLoop& loop, const std::string& run_dir, const std::string& name, Stream stream,
               std::chrono::milliseconds client_timeout = kClientTimeout);
  StatusServer(EventLoop& loop, const std::string& run_dir, const std::string& name, Document document,
               std::chrono::milliseconds client_timeout = kClientTimeout);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // The address as printed: "@" + the abstract name.
  const std::string& path() const { return path_; }
  // Clients being written to now.
  std::size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    Fd fd;
    Pieces next;
    std::string piece;      // being written
    std::size_t sent = 0;   // of piece
    std::size_t total = 0;  // of the document so far
    bool last = false;      // piece is the document's last
    std::chrono::steady_clock::time_point deadline;
  };
  using ClientList = std::list<Client>;
  enum class Progress { kDone, kBlocked, kMore };

  void on_connect();
  // Whether the connected peer on `fd` may read the status (root or our uid).
  bool peer_allowed(int fd);
  // Writes what the client's socket takes, making up to kPiecesPerTurn
  // pieces: kDone when the client is done with (all written, or gone),
  // kBlocked when its socket is full, kMore when this turn's pieces are
  // written and more are to come.
  Progress write_some(Client& c);
  void wait_writable(ClientList::iterator it);
  void close_client(ClientList::iterator it, const char* why);
  void on_deadline();
  void arm_deadline();

  EventLoop& loop_;
  std::string path_;
  Stream stream_;
  std::chrono::milliseconds client_timeout_;
  Fd fd_;
  Fd timer_;  // a timerfd, armed for the oldest client's deadline
  ClientList clients_;
};

// The abstract name (without its leading NUL) of the status socket of
// endpoint `name` under `run_dir`; `run_dir` only keeps sets of endpoints
// apart within one namespace (tests), it is never created.
std::string status_address(const std::string& run_dir, const std::string& name);

// The names of the status sockets listening under `run_dir` in this
// process's network namespace (from /proc/net/unix), sorted.
std::vector<std::string> list_status(const std::string& run_dir);

// Client side: reads the document of endpoint `name`. Throws, with the
// address, when nothing of that name listens in this namespace or the
// server is neither root nor our uid.
std::string read_status(const std::string& run_dir, const std::string& name);

}  // namespace gn::control
