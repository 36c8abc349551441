#include "nat64/fragmenter.hpp"

#include <algorithm>

#include "nat64/packet.hpp"
#include "net/checksum.hpp"

namespace gn::nat64 {
using namespace gn::checksum;  // NOLINT(google-build-using-namespace): the arithmetic is this file's vocabulary

void fragment_ipv4(std::span<const std::uint8_t> packet, std::size_t mtu, std::vector<std::vector<std::uint8_t>>& out) {
  out.clear();
  auto data = packet.subspan(kIpv4HeaderLen);
  // Every fragment but the last carries a multiple of 8 bytes.
  const std::size_t step = (mtu - kIpv4HeaderLen) / 8 * 8;
  for (std::size_t off = 0; off < data.size(); off += step) {
    std::size_t len = std::min(step, data.size() - off);
    bool more = off + len < data.size();
    std::vector<std::uint8_t>& f = out.emplace_back(kIpv4HeaderLen + len);
    std::copy_n(packet.begin(), kIpv4HeaderLen, f.begin());
    std::copy_n(data.begin() + static_cast<long>(off), len, f.begin() + kIpv4HeaderLen);
    store16(f.data() + 2, static_cast<std::uint16_t>(f.size()));
    store16(f.data() + 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (off / 8)));
    store16(f.data() + 10, 0);
    store16(f.data() + 10, finish(sum_bytes({f.data(), kIpv4HeaderLen})));
  }
}

void fragment_ipv6(std::span<const std::uint8_t> packet, std::size_t mtu, std::uint32_t id,
                   std::vector<std::vector<std::uint8_t>>& out) {
  out.clear();
  const std::uint8_t next_header = packet[6];
  auto data = packet.subspan(kIpv6HeaderLen);
  const std::size_t step = (mtu - kIpv6HeaderLen - kFragmentHeaderLen) / 8 * 8;
  for (std::size_t off = 0; off < data.size(); off += step) {
    std::size_t len = std::min(step, data.size() - off);
    bool more = off + len < data.size();
    std::vector<std::uint8_t>& f = out.emplace_back(kIpv6HeaderLen + kFragmentHeaderLen + len);
    std::copy_n(packet.begin(), kIpv6HeaderLen, f.begin());
    store16(f.data() + 4, static_cast<std::uint16_t>(kFragmentHeaderLen + len));
    f[6] = net::kProtoFragment;
    std::uint8_t* h = f.data() + kIpv6HeaderLen;
    h[0] = next_header;
    h[1] = 0;
    store16(h + 2, static_cast<std::uint16_t>(off | (more ? 1 : 0)));  // offset in 8-byte units, shifted by 3
    store32(h + 4, id);
    std::copy_n(data.begin() + static_cast<long>(off), len, h + kFragmentHeaderLen);
  }
}

}  // namespace gn::nat64
