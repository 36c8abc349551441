#include "geneve/control.hpp"

#include <algorithm>

#include "util/bytes.hpp"

namespace gn::geneve {

bool is_control_frame(std::span<const std::uint8_t> f) {
  return f.size() >= kControlHeaderLen && std::equal(kControlMac.begin(), kControlMac.end(), f.begin()) &&
         load16(f.data() + 12) == kControlEtherType &&
         std::equal(kControlMagic.begin(), kControlMagic.end(), f.begin() + net::kEthernetHeaderLen);
}

std::optional<ControlFrame> parse_control(std::span<const std::uint8_t> f) {
  if (!is_control_frame(f)) return std::nullopt;
  const std::uint8_t* h = f.data() + net::kEthernetHeaderLen + 4;
  std::size_t body_len = load16(h + 2);
  if (f.size() - kControlHeaderLen < body_len) return std::nullopt;
  return ControlFrame{h[0], h[1], f.subspan(kControlHeaderLen, body_len)};
}

}  // namespace gn::geneve
