#pragma once
// Reading a whole (small) file: the one place that does it.
#include <cstddef>
#include <string>

namespace gn {

constexpr std::size_t kMaxReadFileSize = 1 << 20;

// The contents of `path`, read to end of file (the size stat reports is not
// trusted: /proc files say 0, and a file may grow while read). Throws
// SystemError "cannot read <what> <path>: <errno text>", with EFBIG when the
// file holds more than max_size bytes.
std::string read_file(const std::string& path, const std::string& what, std::size_t max_size = kMaxReadFileSize);

// read_file for a file the user named (a config file, a key file): failing
// to read it is a usage error (exit status 2), with the same message.
std::string read_user_file(const std::string& path, const std::string& what, std::size_t max_size = kMaxReadFileSize);

// Creates `path` with `contents`, readable by its owner only (a secret):
// false if it already exists (never overwritten), throws SystemError
// "cannot create <what> <path>: ..." on any other failure. The data is on
// disk (fsync) when it returns.
bool create_private_file(const std::string& path, const std::string& contents, const std::string& what);

// Replaces `path` with `contents` atomically: written to "<path>.tmp" with
// `mode`, synced, then renamed over `path`, so that a reader (named
// including a fragment, a restart reading its state) sees the old file or
// the new one, never a part. Throws SystemError "cannot write <what>
// <path>: ..." (the temporary file removed).
void replace_file(const std::string& path, const std::string& contents, const std::string& what, unsigned mode);

}  // namespace gn
