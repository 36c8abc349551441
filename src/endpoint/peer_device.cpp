#include "endpoint/peer_device.hpp"

#include <linux/netlink.h>

#include <cerrno>

#include "netlink/link.hpp"
#include "netlink/mnl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::endpoint {
namespace {

// Names tried for a "%d" template before giving up: far more GENEVE
// devices than one namespace holds in practice.
constexpr int kMaxNameTries = 1024;

}  // namespace

PeerDevice::PeerDevice(std::unique_ptr<dataplane::KernelDataplane> kernel) : device_(std::move(kernel)) {
  if (!std::get<Kernel>(device_)) throw std::logic_error("PeerDevice without a kernel device");
}

PeerDevice::PeerDevice(dataplane::TapDevice* shared) : device_(shared) {
  if (!shared) throw std::logic_error("PeerDevice without a shared TAP");
}

const std::string& PeerDevice::ifname() const {
  if (const auto* k = std::get_if<Kernel>(&device_)) return (*k)->ifname();
  return tap()->name();
}

dataplane::TapDevice* PeerDevice::tap() {
  if (auto* const* shared = std::get_if<dataplane::TapDevice*>(&device_)) return *shared;
  return std::get_if<dataplane::TapDevice>(&device_);
}

const dataplane::TapDevice* PeerDevice::tap() const {
  if (const auto* shared = std::get_if<dataplane::TapDevice*>(&device_)) return *shared;
  return std::get_if<dataplane::TapDevice>(&device_);
}

dataplane::KernelDataplane* PeerDevice::kernel() const {
  const auto* k = std::get_if<Kernel>(&device_);
  return k ? k->get() : nullptr;
}

dataplane::TapDevice make_tap(const std::string& ifname, std::uint32_t mtu, const std::vector<std::string>& addresses,
                              bool offloads) {
  auto tap = dataplane::TapDevice::create(ifname, dataplane::DeviceMode::kTap, offloads);
  if (!tap.offloads().reason.empty()) log::info("{}: {}", tap.name(), tap.offloads().reason);
  netlink::MnlSocket nl(NETLINK_ROUTE);
  netlink::set_link_mtu_up(nl, tap.ifindex(), tap.name(), mtu);
  for (const auto& a : addresses) netlink::add_address(nl, tap.ifindex(), tap.name(), a);
  return tap;
}

std::unique_ptr<dataplane::KernelDataplane> make_kernel_device(dataplane::KernelTunnelConfig k) {
  const std::string name = k.ifname;
  const auto pos = name.find("%d");
  if (pos == std::string::npos) {
    try {
      return std::make_unique<dataplane::KernelDataplane>(k);
    } catch (const netlink::NetlinkError& e) {
      if (e.code() == EEXIST) throw UsageError("interface " + name + " already exists; choose another --ifname");
      throw;
    }
  }
  // The kernel expands "%d" for TAPs but names a GENEVE device only by an
  // exact name: try each number, and let the kernel's NLM_F_EXCL say which
  // is free, so that two endpoints starting at once cannot take one name.
  for (int n = 0; n < kMaxNameTries; ++n) {
    k.ifname = name.substr(0, pos) + std::to_string(n) + name.substr(pos + 2);
    if (k.ifname.size() > 15) break;
    try {
      return std::make_unique<dataplane::KernelDataplane>(k);
    } catch (const netlink::NetlinkError& e) {
      if (e.code() != EEXIST) throw;
    }
  }
  throw UsageError("no free interface name of the form " + name + " (tried " + std::to_string(kMaxNameTries) + ")");
}

std::string kernel_unsuitable_reason(const config::EndpointConfig& cfg) {
  switch (cfg.mode) {
    case config::Mode::kServer:
      return "a server learns its clients' paths from the outer source of their packets, which a kernel GENEVE "
             "device does not show";
    case config::Mode::kAuto:
      return "auto mode moves between paths as they live and die; the kernel data plane carries one fixed path";
    case config::Mode::kSymmetric:
    case config::Mode::kClient: break;
  }
  if (cfg.source_port != cfg.port)
    return "replies come back to the source port, and a kernel GENEVE device listens only on --port (--source-port "
           "differs)";
  return {};
}

void remove_stale_kernel_objects() {
  try {
    auto stale = dataplane::remove_stale_objects();
    for (const auto& l : stale.links) log::info("removed interface {} left by a process that is gone", l);
    for (const auto& t : stale.tables) log::info("removed nftables table {} left by a process that is gone", t);
  } catch (const std::exception& e) {
    log::warn("looking for kernel objects left by killed endpoints failed (they stay until the next start): {}",
              e.what());
  }
}

}  // namespace gn::endpoint
