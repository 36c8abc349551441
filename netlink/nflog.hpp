#pragma once
// An NFLOG group listener (nfnetlink_log): the kernel copies each packet an
// nftables `log group G` rule matches to the netlink socket bound to G,
// from its network header. Used to read control messages with their outer
// addresses while a kernel GENEVE device owns the port (netlink/nft.hpp,
// ControlCapture). Watch fd() and call receive() when it is readable.
#include <cstdint>
#include <functional>
#include <span>

#include "netlink/mnl.hpp"

namespace gn::netlink {

// The config messages, as plain bytes (unit-tested): bind `group` to the
// sending socket; copy up to `copy_range` bytes of each packet, and send
// each copy at once (no batching: a probe waits 1 s for its reply).
Message build_nflog_bind(std::uint16_t group);
Message build_nflog_copy_packet(std::uint16_t group, std::uint32_t copy_range);

class NflogListener {
 public:
  // Throws NetlinkError (EBUSY: another socket has the group) or
  // KernelUnsupported when the kernel has no nfnetlink_log. The kernel
  // unbinds the group when the socket closes.
  explicit NflogListener(std::uint16_t group, std::uint32_t copy_range = 0xffff);

  int fd() const { return sock_.fd(); }
  std::uint16_t group() const { return group_; }
  // Reads what is queued (one recv) and calls `fn` with each packet's
  // bytes, from its IP header. False when nothing was queued.
  bool receive(const std::function<void(std::span<const std::uint8_t>)>& fn);
  // Copies the kernel dropped because we read too slowly.
  std::uint64_t overruns() const { return sock_.overruns(); }

 private:
  MnlSocket sock_;
  std::uint16_t group_;
};

}  // namespace gn::netlink
