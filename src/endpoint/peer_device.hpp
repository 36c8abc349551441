#pragma once
// The interface that carries one peer's frames, and how it is chosen: a TAP
// served by the userspace data plane (the peer's own, or one shared by a
// server's clients and owned by the endpoint), or a Linux GENEVE device (the
// kernel data plane). A PeerDevice always holds exactly one of these: there
// is no peer without an interface.
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "config/cli.hpp"
#include "dataplane/kernel.hpp"
#include "dataplane/tap.hpp"

namespace gn::endpoint {

class PeerDevice {
 public:
  explicit PeerDevice(dataplane::TapDevice tap) : device_(std::move(tap)) {}
  // `kernel` must not be null.
  explicit PeerDevice(std::unique_ptr<dataplane::KernelDataplane> kernel);
  // A TAP shared with other peers (not null); it outlives the peer.
  explicit PeerDevice(dataplane::TapDevice* shared);

  const std::string& ifname() const;
  bool is_kernel() const { return std::holds_alternative<Kernel>(device_); }
  bool is_shared() const { return std::holds_alternative<dataplane::TapDevice*>(device_); }
  // The TAP (own or shared), or nullptr on the kernel data plane.
  dataplane::TapDevice* tap();
  const dataplane::TapDevice* tap() const;
  // The kernel device, or nullptr on the userspace data plane.
  dataplane::KernelDataplane* kernel() const;

 private:
  using Kernel = std::unique_ptr<dataplane::KernelDataplane>;
  std::variant<dataplane::TapDevice, Kernel, dataplane::TapDevice*> device_;
};

// A TAP named `ifname` (a template such as "gnv%d" or an exact name that
// must not exist), up, with `mtu` and the inner addresses ("addr/len").
dataplane::TapDevice make_tap(const std::string& ifname, std::uint32_t mtu, const std::vector<std::string>& addresses,
                              bool offloads);

// A kernel GENEVE device for `k`. k.ifname may be a template with "%d": the
// first free name is taken by exclusive creation (NLM_F_EXCL), trying the
// next number when another process won the name. An exact name that exists
// is a UsageError. Throws netlink::KernelUnsupported when this kernel cannot
// carry the tunnel.
std::unique_ptr<dataplane::KernelDataplane> make_kernel_device(dataplane::KernelTunnelConfig k);

// Why `cfg` cannot use the kernel data plane whatever the kernel has (its
// mode or ports); empty when it can.
std::string kernel_unsuitable_reason(const config::EndpointConfig& cfg);

// Removes the GENEVE links and nftables tables that processes killed
// without cleaning up left in this namespace, and says what it removed.
// Failing to look is a warning, not an error: it costs only stale objects.
void remove_stale_kernel_objects();

}  // namespace gn::endpoint
