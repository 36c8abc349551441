#pragma once
// Control messages through a kernel GENEVE device. Our control messages are
// inner Ethernet frames (EtherType 0x88B5, docs/protocol.md section 6), so
// with the kernel carrying the tunnel, userspace sends and receives them as
// frames on the tunnel interface: an AF_PACKET socket bound to that
// interface and EtherType. The kernel encapsulates what we send exactly as
// data (same 5-tuple, same tunnel metadata and routing option), and hands
// us what arrives, already decapsulated.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "geneve/control.hpp"
#include "util/fd.hpp"

namespace gn::dataplane {

class PacketSocket {
 public:
  // Binds to `ifindex` for `ethertype` (default: the control EtherType).
  // Non-blocking; close-on-exec.
  PacketSocket(int ifindex, const std::string& ifname, std::uint16_t ethertype = geneve::kControlEtherType);

  int fd() const { return fd_.get(); }

  // Sends one complete Ethernet frame (destination MAC first). Returns false
  // if the kernel refused it for want of room (EAGAIN/ENOBUFS): a drop.
  bool send_frame(std::span<const std::uint8_t> frame);
  // Receives one frame that arrived on the interface (frames we sent are
  // skipped); returns 0 when none is queued.
  std::size_t receive_frame(std::span<std::uint8_t> buf);

 private:
  Fd fd_;
  int ifindex_;
  std::string ifname_;
};

}  // namespace gn::dataplane
