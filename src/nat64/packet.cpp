#include "nat64/packet.hpp"

#include <algorithm>

#include "net/checksum.hpp"

namespace gn::nat64 {
using namespace gn::checksum;  // NOLINT(google-build-using-namespace): the arithmetic is this file's vocabulary

ParseStatus parse_ipv4(std::span<const std::uint8_t> in, Completeness mode, Ipv4Header& h) {
  if (in.size() < kIpv4HeaderLen || (in[0] >> 4) != 4) return ParseStatus::kMalformed;
  std::size_t header_len = static_cast<std::size_t>(in[0] & 0x0f) * 4;
  h.total_length = load16(in.data() + 2);
  if (header_len < kIpv4HeaderLen || header_len > in.size() || h.total_length < header_len)
    return ParseStatus::kMalformed;
  std::size_t end = h.total_length;
  if (mode == Completeness::kComplete) {
    if (end > in.size()) return ParseStatus::kMalformed;
    if (fold(sum_bytes(in.first(header_len))) != 0xffff) return ParseStatus::kBadChecksum;
  } else {
    end = std::min(end, in.size());
  }
  h.header = in.first(header_len);
  h.payload = in.subspan(header_len, end - header_len);
  h.tos = in[1];
  std::uint16_t flags_offset = load16(in.data() + 6);
  h.df = (flags_offset & 0x4000) != 0;
  h.more_fragments = (flags_offset & 0x2000) != 0;
  h.fragment_offset = flags_offset & 0x1fff;
  h.ttl = in[8];
  h.proto = in[9];
  std::copy_n(in.begin() + 12, 4, h.src.begin());
  std::copy_n(in.begin() + 16, 4, h.dst.begin());
  return ParseStatus::kOk;
}

ParseStatus parse_ipv6(std::span<const std::uint8_t> in, Completeness mode, Ipv6Header& h) {
  if (in.size() < kIpv6HeaderLen || (in[0] >> 4) != 6) return ParseStatus::kMalformed;
  std::size_t payload_length = load16(in.data() + 4);
  std::size_t available = in.size() - kIpv6HeaderLen;
  if (mode == Completeness::kComplete) {
    // Payload Length 0 is a jumbogram (RFC 2675): never on a TUN device.
    if (payload_length == 0 && in[6] == 0) return ParseStatus::kMalformed;
    if (payload_length > available) return ParseStatus::kMalformed;
  }
  std::size_t end = kIpv6HeaderLen + std::min(payload_length, available);
  h.traffic_class = static_cast<std::uint8_t>(((in[0] & 0x0f) << 4) | (in[1] >> 4));
  h.hop_limit = in[7];
  std::copy_n(in.begin() + 8, 16, h.src.begin());
  std::copy_n(in.begin() + 24, 16, h.dst.begin());
  h.fragment = false;
  h.routing = false;

  std::uint8_t next = in[6];
  std::size_t off = kIpv6HeaderLen;
  for (;;) {
    if (next == net::kProtoFragment) {
      h.fragment = true;
      break;
    }
    if (next != net::kProtoHopByHop && next != net::kProtoRouting && next != net::kProtoDestOptions)
      break;  // upper layer (or unknown)
    if (end - off < 8) return ParseStatus::kMalformed;
    std::size_t ext_len = (static_cast<std::size_t>(in[off + 1]) + 1) * 8;
    if (end - off < ext_len) return ParseStatus::kMalformed;
    if (next == net::kProtoRouting && in[off + 3] != 0) h.routing = true;  // segments left
    next = in[off];
    off += ext_len;
  }
  if (payload_length + kIpv6HeaderLen < off) return ParseStatus::kMalformed;
  h.next_header = next;
  h.payload = in.subspan(off, end - off);
  h.upper_length = static_cast<std::uint32_t>(payload_length + kIpv6HeaderLen - off);
  return ParseStatus::kOk;
}

}  // namespace gn::nat64
