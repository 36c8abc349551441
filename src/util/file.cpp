#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace gn {
namespace {

// All of `contents` to `fd`; false with errno set on failure.
bool write_all(int fd, const std::string& contents) {
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

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

bool create_private_file(const std::string& path, const std::string& contents, const std::string& what) {
  const std::string context = "cannot create " + what + " " + path;
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == EEXIST) return false;
    throw_errno(context);
  }
  if (!write_all(fd.get(), contents)) {
    const int err = errno;
    ::unlink(path.c_str());  // never leave half a secret behind
    throw SystemError(context, err);
  }
  if (::fsync(fd.get()) < 0) {
    const int err = errno;
    ::unlink(path.c_str());
    throw SystemError(context, err);
  }
  return true;
}

void replace_file(const std::string& path, const std::string& contents, const std::string& what, unsigned mode) {
  const std::string tmp = path + ".tmp";
  const std::string context = "cannot write " + what + " " + path;
  try {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw_errno(context + " (creating " + tmp + ")");
    // open's mode is masked by the umask; the file's readers need it exact.
    if (::fchmod(fd.get(), mode) < 0) throw_errno(context + " (chmod " + tmp + ")");
    if (!write_all(fd.get(), contents)) throw_errno(context + " (writing " + tmp + ")");
    if (::fsync(fd.get()) < 0) throw_errno(context + " (syncing " + tmp + ")");
  } catch (const SystemError&) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    throw_errno(context + " (renaming " + tmp + ")");
  }
}

}  // namespace gn
