#include "util/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "util/error.hpp"

namespace gn {

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void set_nonblocking(int fd, const char* what) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    throw_errno(std::string("setting O_NONBLOCK on ") + what);
}

}  // namespace gn
