#include "dataplane/tap.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"

namespace gn::dataplane {

TapDevice TapDevice::create(const std::string& name, DeviceMode mode) {
  const char* kind = mode == DeviceMode::kTun ? "TUN" : "TAP";
  if (name.size() >= IFNAMSIZ) throw UsageError("interface name '" + name + "' is longer than 15 characters");
  if (name.find('%') == std::string::npos && if_nametoindex(name.c_str()) != 0)
    throw UsageError("interface " + name + " already exists; choose another " +
                     (mode == DeviceMode::kTun ? "--tun" : "--ifname"));
  Fd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd) throw_errno("opening /dev/net/tun (is the tun module available?)");
  ifreq ifr{};
  // IFF_NO_PI: bare Ethernet frames (TAP) or IP packets (TUN), no
  // packet-info prefix.
  ifr.ifr_flags = static_cast<short>((mode == DeviceMode::kTun ? IFF_TUN : IFF_TAP) | IFF_NO_PI);
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) throw_errno(std::string("creating ") + kind + " interface " + name);
  std::string actual(ifr.ifr_name);
  unsigned index = if_nametoindex(actual.c_str());
  if (index == 0) throw_errno("looking up the index of new interface " + actual);
  return TapDevice(std::move(fd), actual, static_cast<int>(index), mode);
}

std::size_t TapDevice::read_frame(std::span<std::uint8_t> buf) {
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    throw_errno("reading from " + name_);
  }
}

bool TapDevice::write_frame(std::span<const std::uint8_t> frame) {
  for (;;) {
    ssize_t n = ::write(fd_.get(), frame.data(), frame.size());
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    return false;
  }
}

std::array<std::uint8_t, 6> TapDevice::hardware_address() const {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name_.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd_.get(), SIOCGIFHWADDR, &ifr) < 0) throw_errno("reading the hardware address of " + name_);
  std::array<std::uint8_t, 6> mac{};
  std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

}  // namespace gn::dataplane
