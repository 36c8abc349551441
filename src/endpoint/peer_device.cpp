#include "endpoint/peer_device.hpp"

#include <linux/netlink.h>

#include <cerrno>

#include "netlink/link.hpp"
#include "netlink/mnl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::endpoint {

PeerDevice::PeerDevice(std::unique_ptr<dataplane::KernelDataplane> kernel) : device_(std::move(kernel)) {
  if (!std::get<Kernel>(device_)) throw std::logic_error("PeerDevice without a kernel device");
}

PeerDevice::PeerDevice(dataplane::TapDevice* shared) : device_(shared) {
  if (!shared) throw std::logic_error("PeerDevice without a shared TAP");
}

PeerDevice::PeerDevice(dataplane::KernelServer* shared, std::uint32_t index) : device_(Server{shared, index}) {
  if (!shared) throw std::logic_error("PeerDevice without a kernel server");
}

const std::string& PeerDevice::ifname() const {
  if (const auto* k = std::get_if<Kernel>(&device_)) return (*k)->ifname();
  if (const auto* s = std::get_if<Server>(&device_)) return s->server->ifname();
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

dataplane::KernelServer* PeerDevice::kernel_server() const {
  const auto* s = std::get_if<Server>(&device_);
  return s ? s->server : nullptr;
}

std::uint32_t PeerDevice::kernel_index() const {
  const auto* s = std::get_if<Server>(&device_);
  return s ? s->index : 0;
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
  return with_free_name(k.ifname, [&](const std::string& name) {
    k.ifname = name;
    return std::make_unique<dataplane::KernelDataplane>(k);
  });
}

namespace detail {

std::string nth_name(const std::string& name, std::size_t pos, int n) {
  return name.substr(0, pos) + std::to_string(n) + name.substr(pos + 2);
}

UsageError name_taken(const std::string& name) {
  return UsageError("interface " + name + " already exists; choose another name");
}

UsageError no_free_name(const std::string& name) {
  return UsageError("no free interface name of the form " + name + " (tried " + std::to_string(kMaxNameTries) + ")");
}

}  // namespace detail

std::string kernel_unsuitable_reason(const config::EndpointConfig& cfg) {
  switch (cfg.mode) {
    case config::Mode::kServer:
      if (!cfg.shared_interface)
        return "a server on the kernel needs one interface for all its clients (\"interface\" in --config): a "
               "kernel GENEVE device that learns paths must be alone on its UDP port";
      break;
    case config::Mode::kAuto:
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
