#include "dataplane/tap.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/offload.hpp"
#include "util/error.hpp"

// Debian 12's headers predate USO (Linux 6.2); the values are the kernel's ABI.
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

namespace gn::dataplane {
namespace {

TapOffloads probe_offloads(int fd, Segmentation segmentation) {
  const bool udp_segmentation = segmentation == Segmentation::kTcpAndUdp;
  TapOffloads o;
  o.vnet_header = true;
  struct Try {
    unsigned flags;
    bool tso, uso;
  };
  static constexpr Try kTries[] = {
      {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6, true, true},
      {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, true, false},
      {TUN_F_CSUM, false, false},
  };
  for (const Try& t : kTries) {
    if (t.uso && !udp_segmentation) continue;
    if (t.tso && segmentation == Segmentation::kNone) continue;
    if (::ioctl(fd, TUNSETOFFLOAD, static_cast<unsigned long>(t.flags)) == 0) {
      o.checksum = true;
      o.tso = t.tso;
      o.uso = t.uso;
      if (!t.uso && udp_segmentation) o.reason = "this kernel's TAP has no UDP segmentation offload (USO, Linux 6.2+)";
      if (!t.tso && segmentation != Segmentation::kNone)
        o.reason = "this kernel's TAP refused TCP segmentation offload";
      return o;
    }
  }
  o.reason = std::string("the TAP refused every offload: ") + std::strerror(errno);
  return o;
}

}  // namespace

TapDevice TapDevice::create(const std::string& name, DeviceMode mode, bool offloads, Segmentation segmentation) {
  const char* kind = mode == DeviceMode::kTun ? "TUN" : "TAP";
  if (name.size() >= IFNAMSIZ) throw UsageError("interface name '" + name + "' is longer than 15 characters");
  if (name.find('%') == std::string::npos && if_nametoindex(name.c_str()) != 0)
    throw UsageError("interface " + name + " already exists; choose another " +
                     (mode == DeviceMode::kTun ? "--tun" : "--ifname"));
  Fd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd) throw_errno("opening /dev/net/tun (is the tun module available?)");
  ifreq ifr{};
  // IFF_NO_PI: bare Ethernet frames (TAP) or IP packets (TUN), no
  // packet-info prefix. IFF_TUN_EXCL: never attach to a device someone else
  // made between the check above and now.
  ifr.ifr_flags = static_cast<short>((mode == DeviceMode::kTun ? IFF_TUN : IFF_TAP) | IFF_NO_PI | IFF_TUN_EXCL |
                                     (offloads ? IFF_VNET_HDR : 0));
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    if (errno == EBUSY)
      throw UsageError("interface " + name + " already exists; choose another " +
                       (mode == DeviceMode::kTun ? "--tun" : "--ifname"));
    throw_errno(std::string("creating ") + kind + " interface " + name);
  }
  std::string actual(ifr.ifr_name);
  TapOffloads off;
  if (offloads) off = probe_offloads(fd.get(), segmentation);
  unsigned index = if_nametoindex(actual.c_str());
  if (index == 0) throw_errno("looking up the index of new interface " + actual);
  return TapDevice(std::move(fd), actual, static_cast<int>(index), mode, std::move(off));
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

bool TapDevice::write_frame(std::span<const std::uint8_t> frame, std::span<const std::uint8_t> vnet) {
  static constexpr std::uint8_t kNoOffload[offload::kVnetHeaderLen] = {};
  iovec data{const_cast<std::uint8_t*>(frame.data()), frame.size()};
  if (!offloads_.vnet_header) return write_pieces({&data, 1});
  std::array<iovec, 2> iov{
      {{const_cast<std::uint8_t*>(vnet.size() >= offload::kVnetHeaderLen ? vnet.data() : kNoOffload),
        offload::kVnetHeaderLen},
       data}};
  return write_pieces(iov);
}

bool TapDevice::write_pieces(std::span<const iovec> pieces) {
  for (;;) {
    if (::writev(fd_.get(), pieces.data(), static_cast<int>(pieces.size())) >= 0) return true;
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
