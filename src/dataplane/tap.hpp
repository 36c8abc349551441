#pragma once
// A TAP device: Ethernet frames in and out, the same L2 semantics as a
// kernel GENEVE device. Not persistent, so the kernel deletes the interface
// when the last descriptor closes: on normal exit, on a signal, and even on
// SIGKILL nothing is left behind.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "util/fd.hpp"

namespace gn::dataplane {

class TapDevice {
 public:
  // `name` may be a kernel template ("gnv%d"). Throws if an interface of that
  // exact name already exists: attaching to an existing persistent TAP would
  // take over something we do not own.
  static TapDevice create(const std::string& name);

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }

  // Reads one frame; returns 0 when none is queued (non-blocking).
  std::size_t read_frame(std::span<std::uint8_t> buf);
  // Writes one frame. Returns false if the kernel refused it (interface
  // down, out of memory): the caller counts that as a drop.
  bool write_frame(std::span<const std::uint8_t> frame);

 private:
  TapDevice(Fd fd, std::string name, int ifindex) : fd_(std::move(fd)), name_(std::move(name)), ifindex_(ifindex) {}
  Fd fd_;
  std::string name_;
  int ifindex_;
};

}  // namespace gn::dataplane
