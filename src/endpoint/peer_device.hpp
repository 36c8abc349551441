#pragma once
// The interface that carries one peer's frames, and how it is chosen: a TAP
// served by the userspace data plane (the peer's own, or one shared by a
// server's clients and owned by the endpoint), or a Linux GENEVE device (the
// kernel data plane). A PeerDevice always holds exactly one of these: there
// is no peer without an interface.
#include <cerrno>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "config/cli.hpp"
#include "dataplane/kernel.hpp"
#include "dataplane/kernel_server.hpp"
#include "dataplane/tap.hpp"
#include "netlink/mnl.hpp"
#include "util/error.hpp"

namespace gn::endpoint {

class PeerDevice {
 public:
  explicit PeerDevice(dataplane::TapDevice tap) : device_(std::move(tap)) {}
  // `kernel` must not be null.
  explicit PeerDevice(std::unique_ptr<dataplane::KernelDataplane> kernel);
  // A TAP shared with other peers (not null); it outlives the peer.
  explicit PeerDevice(dataplane::TapDevice* shared);
  // A server's client on its one kernel GENEVE device (not null; it
  // outlives the peer), as client `index` of it.
  PeerDevice(dataplane::KernelServer* shared, std::uint32_t index);

  const std::string& ifname() const;
  bool is_kernel() const { return std::holds_alternative<Kernel>(device_) || std::holds_alternative<Server>(device_); }
  // One interface for many clients (a shared TAP or the kernel server's device).
  bool is_shared() const {
    return std::holds_alternative<dataplane::TapDevice*>(device_) || std::holds_alternative<Server>(device_);
  }
  // The TAP (own or shared), or nullptr on the kernel data plane.
  dataplane::TapDevice* tap();
  const dataplane::TapDevice* tap() const;
  // The peer's own kernel device, or nullptr.
  dataplane::KernelDataplane* kernel() const;
  // The kernel server carrying this client, or nullptr; and its index there.
  dataplane::KernelServer* kernel_server() const;
  std::uint32_t kernel_index() const;

 private:
  using Kernel = std::unique_ptr<dataplane::KernelDataplane>;
  struct Server {
    dataplane::KernelServer* server;
    std::uint32_t index;
  };
  std::variant<dataplane::TapDevice, Kernel, dataplane::TapDevice*, Server> device_;
};

// A TAP named `ifname` (a template such as "gnv%d" or an exact name that
// must not exist), up, with `mtu` and the inner addresses ("addr/len").
dataplane::TapDevice make_tap(const std::string& ifname, std::uint32_t mtu, const std::vector<std::string>& addresses,
                              bool offloads);

namespace detail {
constexpr int kMaxNameTries = 1024;
std::string nth_name(const std::string& name, std::size_t pos, int n);
UsageError name_taken(const std::string& name);
UsageError no_free_name(const std::string& name);
}  // namespace detail

// make(name) for `name`, or for a template with "%d" the first free name:
// the kernel names a GENEVE device only by an exact name, so each number is
// tried and the kernel's NLM_F_EXCL (EEXIST) says which is free, so that
// two endpoints starting at once cannot take one name. An exact name that
// exists is a UsageError.
template <typename Make>
auto with_free_name(const std::string& name, Make make) -> decltype(make(name)) {
  const auto pos = name.find("%d");
  if (pos == std::string::npos) {
    try {
      return make(name);
    } catch (const netlink::NetlinkError& e) {
      if (e.code() == EEXIST) throw detail::name_taken(name);
      throw;
    }
  }
  for (int n = 0; n < detail::kMaxNameTries; ++n) {
    const std::string candidate = detail::nth_name(name, pos, n);
    if (candidate.size() > 15) break;
    try {
      return make(candidate);
    } catch (const netlink::NetlinkError& e) {
      if (e.code() != EEXIST) throw;
    }
  }
  throw detail::no_free_name(name);
}

// A kernel GENEVE device for `k` (k.ifname exact or a "%d" template, as
// with_free_name). Throws netlink::KernelUnsupported when this kernel
// cannot carry the tunnel.
std::unique_ptr<dataplane::KernelDataplane> make_kernel_device(dataplane::KernelTunnelConfig k);

// Why `cfg` cannot use the kernel data plane whatever the kernel has (its
// mode, ports or configuration); empty when it can.
std::string kernel_unsuitable_reason(const config::EndpointConfig& cfg);

// Removes the GENEVE links and nftables tables that processes killed
// without cleaning up left in this namespace, and says what it removed.
// Failing to look is a warning, not an error: it costs only stale objects.
void remove_stale_kernel_objects();

}  // namespace gn::endpoint
