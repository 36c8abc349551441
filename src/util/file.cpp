#include "util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace gn {

std::string read_file(const std::string& path, const std::string& what, std::size_t max_size) {
  const std::string context = "cannot read " + what + " " + path;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno(context);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(context);
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > max_size)
      throw SystemError(context + " (more than " + std::to_string(max_size) + " bytes)", EFBIG);
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

std::string read_user_file(const std::string& path, const std::string& what, std::size_t max_size) {
  try {
    return read_file(path, what, max_size);
  } catch (const SystemError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace gn
