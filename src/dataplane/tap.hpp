#pragma once
// A TAP device (Ethernet frames in and out, the same L2 semantics as a
// kernel GENEVE device) or a TUN device (bare IP packets, as a NAT64
// translator such as geneve-nat64-gateway needs). Not persistent, so the
// kernel deletes the interface when the last descriptor closes: on normal
// exit, on a signal, and even on SIGKILL nothing is left behind.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "util/fd.hpp"

namespace gn::dataplane {

// kTap: IFF_TAP, Ethernet frames. kTun: IFF_TUN, IP packets (IPv4 or IPv6,
// told apart by the version nibble). Both without the packet-info prefix.
enum class DeviceMode { kTap, kTun };

class TapDevice {
 public:
  // `name` may be a kernel template ("gnv%d"). Throws if an interface of that
  // exact name already exists: attaching to an existing persistent device
  // would take over something we do not own.
  static TapDevice create(const std::string& name, DeviceMode mode = DeviceMode::kTap);

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  DeviceMode mode() const { return mode_; }
  // The TAP's Ethernet address (the source of control frames we send).
  std::array<std::uint8_t, 6> hardware_address() const;

  // Reads one frame (a packet on a TUN device); returns 0 when none is
  // queued (non-blocking).
  std::size_t read_frame(std::span<std::uint8_t> buf);
  // Writes one frame. Returns false if the kernel refused it (interface
  // down, out of memory): the caller counts that as a drop.
  bool write_frame(std::span<const std::uint8_t> frame);

 private:
  TapDevice(Fd fd, std::string name, int ifindex, DeviceMode mode)
      : fd_(std::move(fd)), name_(std::move(name)), ifindex_(ifindex), mode_(mode) {}
  Fd fd_;
  std::string name_;
  int ifindex_;
  DeviceMode mode_;
};

}  // namespace gn::dataplane
