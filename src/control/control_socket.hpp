#pragma once
// The local status socket: a Unix stream socket in the run directory, named
// after the interface, readable by root only. A client connects and reads
// one JSON document until EOF; it sends nothing. The answer is written with
// MSG_DONTWAIT into a send buffer sized to hold all of it; if the buffer
// cannot be raised that far, the server waits at most 1 s for the client to
// take the rest, then closes the connection.
#include <string>

#include "util/fd.hpp"

namespace gn::control {

class StatusServer {
 public:
  // Creates run_dir (0700) and binds run_dir/<ifname>.sock. If a socket of
  // that name answers, another endpoint owns the interface: UsageError. A
  // dead socket file from a crashed run is replaced.
  StatusServer(const std::string& run_dir, const std::string& ifname);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // Accepts one pending client and writes `document` to it.
  void serve_one(const std::string& document);

 private:
  std::string path_;
  Fd fd_;
};

// Client side: reads the document from a status socket. Throws on failure.
std::string read_status(const std::string& socket_path);

}  // namespace gn::control
