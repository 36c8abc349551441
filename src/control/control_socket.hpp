#pragma once
// The local status socket: a Unix stream socket in the run directory, named
// after the interface, readable by root only. A client connects and reads
// one JSON document until EOF; it sends nothing.
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

  // Creates run_dir (0700), binds run_dir/<name>.sock and serves it in
  // `loop`. If a socket of that name answers, another endpoint owns the
  // name: UsageError. A dead socket file from a crashed run is replaced.
  StatusServer(EventLoop& loop, const std::string& run_dir, const std::string& name, Stream stream,
               std::chrono::milliseconds client_timeout = kClientTimeout);
  StatusServer(EventLoop& loop, const std::string& run_dir, const std::string& name, Document document,
               std::chrono::milliseconds client_timeout = kClientTimeout);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

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

// Client side: reads the document from a status socket. Throws on failure.
std::string read_status(const std::string& socket_path);

}  // namespace gn::control
