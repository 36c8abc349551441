#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace gn {

SystemError::SystemError(const std::string& context, int err)
    : std::runtime_error(context + ": " + std::strerror(err)), code_(err) {}

void throw_errno(const std::string& context) {
  throw SystemError(context, errno);
}

}  // namespace gn
