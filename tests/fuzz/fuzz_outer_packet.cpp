// libFuzzer target for the outer IP/UDP parser (dataplane/outer_packet.hpp):
// any bytes parse or are refused without reading past them; what parses has
// its payload inside the input, and the packet rebuilt from the parsed
// endpoints and payload parses again to the same endpoints. Both checksum
// policies: what the strict one takes, the lenient one takes too.
#include <cstddef>
#include <cstdint>
#include <array>
#include <cstdlib>
#include <span>
#include <vector>

#include "dataplane/outer_packet.hpp"

using namespace gn::dataplane;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  outer::Datagram d;
  const bool strict = outer::parse_udp(in, d) == outer::ParseError::kOk;
  if (outer::parse_udp(in, d, outer::ChecksumPolicy::kVerifyOrPartial) != outer::ParseError::kOk) {
    if (strict) std::abort();
    return 0;
  }
  if (d.payload.data() < data || d.payload.data() + d.payload.size() > data + size) std::abort();
  if (d.from.address.family() != d.to.address.family()) std::abort();
  if (d.payload.size() > 65000) return 0;
  // The payload may be odd-length: build treats `header` as the even part.
  const std::size_t even = d.payload.size() & ~std::size_t{1};
  std::array<std::uint8_t, outer::kMaxHeadersLen> hdr;
  std::size_t n = outer::build_udp_headers(d.from, d.to, 64, d.payload.first(even), d.payload.subspan(even), hdr);
  std::vector<std::uint8_t> again(hdr.begin(), hdr.begin() + static_cast<std::ptrdiff_t>(n));
  again.insert(again.end(), d.payload.begin(), d.payload.end());
  outer::Datagram d2;
  if (outer::parse_udp(again, d2) != outer::ParseError::kOk) std::abort();
  if (d2.from != d.from || d2.to != d.to || d2.payload.size() != d.payload.size()) std::abort();
  return 0;
}
