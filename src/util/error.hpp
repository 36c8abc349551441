#pragma once
// Errors carry context: what we were doing, on which object, and why it failed.
#include <stdexcept>
#include <string>

namespace gn {

// A failed system call or kernel request; what() reads
// "<context>: <strerror(errno)>".
class SystemError : public std::runtime_error {
 public:
  SystemError(const std::string& context, int err);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Throws SystemError with the current errno.
[[noreturn]] void throw_errno(const std::string& context);

// The user asked for something that cannot be done as asked (bad argument,
// bad configuration, missing kernel feature they insisted on). Commands map it
// to exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace gn
