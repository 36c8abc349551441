#pragma once
// A TAP device (Ethernet frames in and out, the same L2 semantics as a
// kernel GENEVE device) or a TUN device (bare IP packets, as a NAT64
// translator such as geneve-nat64-gateway needs). Not persistent, so the
// kernel deletes the interface when the last descriptor closes: on normal
// exit, on a signal, and even on SIGKILL nothing is left behind.
#include <sys/uio.h>

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

// What the kernel agreed to hand us with a virtio-net header in front of
// every frame (dataplane/offload.hpp). Probed at creation, best first:
// checksum + TSO4/6 + USO4/6 (Linux 6.2+), checksum + TSO4/6, nothing.
// The segmentation offloads a device may be asked for (checksum offload
// comes with any of them).
enum class Segmentation : std::uint8_t { kTcpAndUdp, kTcp, kNone };

struct TapOffloads {
  bool vnet_header = false;  // IFF_VNET_HDR: every read and write carries one
  bool checksum = false;     // TUN_F_CSUM: frames may leave their L4 checksum to us
  bool tso = false;          // TUN_F_TSO4|TSO6: TCP super-frames up to 64 KiB
  bool uso = false;          // TUN_F_USO4|USO6: UDP super-frames
  std::string reason;        // why something is off ("" when all is on)
};

class TapDevice {
 public:
  // `name` may be a kernel template ("gnv%d"). Throws if an interface of that
  // exact name already exists: attaching to an existing persistent device
  // would take over something we do not own.
  // With `offloads`, the TAP is opened with IFF_VNET_HDR and asked for every
  // offload the kernel has (see offloads()).
  // `segmentation` limits what is asked for: a NAT64 leaves USO out (it
  // cannot resegment UDP: each segment is a datagram of its own), and with
  // the bypass TSO too (a bypassed super-packet would need segmenting).
  static TapDevice create(const std::string& name, DeviceMode mode = DeviceMode::kTap, bool offloads = false,
                          Segmentation segmentation = Segmentation::kTcpAndUdp);

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  int ifindex() const { return ifindex_; }
  DeviceMode mode() const { return mode_; }
  // The TAP's Ethernet address (the source of control frames we send).
  std::array<std::uint8_t, 6> hardware_address() const;

  const TapOffloads& offloads() const { return offloads_; }

  // Reads one frame (a packet on a TUN device), with its virtio-net header
  // in front when offloads().vnet_header; returns 0 when none is queued
  // (non-blocking).
  std::size_t read_frame(std::span<std::uint8_t> buf);
  // Writes one frame. With a virtio-net header on the device, `vnet` goes in
  // front of it (its first 10 bytes; empty: a zero header). Returns false if
  // the kernel refused it (interface down, out of memory, a header it
  // rejects): the caller counts that as a drop.
  bool write_frame(std::span<const std::uint8_t> frame, std::span<const std::uint8_t> vnet = {});
  // Writes one frame gathered from `pieces` (one writev), which begin with
  // the virtio-net header when the device has one.
  bool write_pieces(std::span<const iovec> pieces);

 private:
  TapDevice(Fd fd, std::string name, int ifindex, DeviceMode mode, TapOffloads offloads)
      : fd_(std::move(fd)), name_(std::move(name)), ifindex_(ifindex), mode_(mode), offloads_(std::move(offloads)) {}
  Fd fd_;
  std::string name_;
  int ifindex_;
  DeviceMode mode_;
  TapOffloads offloads_;
};

}  // namespace gn::dataplane
