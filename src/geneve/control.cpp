#include "geneve/control.hpp"

#include <algorithm>

namespace gn::geneve {

bool is_control_frame(std::span<const std::uint8_t> f) {
  return f.size() >= kControlHeaderLen && std::equal(kControlMac.begin(), kControlMac.end(), f.begin()) &&
         f[12] == (kControlEtherType >> 8) && f[13] == (kControlEtherType & 0xff) &&
         std::equal(kControlMagic.begin(), kControlMagic.end(), f.begin() + kEthernetHeaderLen);
}

std::optional<ControlFrame> parse_control(std::span<const std::uint8_t> f) {
  if (!is_control_frame(f)) return std::nullopt;
  const std::uint8_t* h = f.data() + kEthernetHeaderLen + 4;
  std::size_t body_len = static_cast<std::size_t>((h[2] << 8) | h[3]);
  if (f.size() - kControlHeaderLen < body_len) return std::nullopt;
  return ControlFrame{h[0], h[1], f.subspan(kControlHeaderLen, body_len)};
}

}  // namespace gn::geneve
