// libFuzzer target for the shared interface's frame classifier
// (dataplane/inner_frame.hpp): any bytes must classify without reading
// past the frame, and what it returns must be consistent: a route address
// is never multicast, an address to check is of the family the EtherType
// says, and an AllowedIps table gives answers that agree with the two.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dataplane/allowed_ips.hpp"
#include "dataplane/inner_frame.hpp"
#include "util/bytes.hpp"

using namespace gn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> frame(data, size);
  auto to = dataplane::inner::route_address(frame);
  if (to && to->is_v6() && to->bytes()[0] == 0xff) std::abort();
  if (to && to->is_v4() && to->bytes()[0] >= 224) std::abort();
  auto from = dataplane::inner::source_of(frame);
  if (from.kind != dataplane::inner::Source::Kind::kInvalid && size < 14) std::abort();
  if (from.kind == dataplane::inner::Source::Kind::kAddress && size >= 14) {
    const std::uint16_t type = load16(data + 12);
    if (from.address.is_v6() != (type == 0x86dd)) std::abort();
  }
  // One tunnel owning everything: whatever has a route address routes to it.
  static dataplane::AllowedIps all = [] {
    dataplane::AllowedIps a;
    a.add(net::IpPrefix::parse("::/0"), reinterpret_cast<dataplane::Tunnel*>(1));
    a.add(net::IpPrefix::parse("0.0.0.0/0"), reinterpret_cast<dataplane::Tunnel*>(1));
    return a;
  }();
  if ((all.route(frame) != nullptr) != to.has_value()) std::abort();
  const bool allowed = all.source_allowed(frame, reinterpret_cast<dataplane::Tunnel*>(1));
  if (allowed != (from.kind != dataplane::inner::Source::Kind::kInvalid)) std::abort();
  return 0;
}
