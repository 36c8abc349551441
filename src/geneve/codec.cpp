#include "geneve/codec.hpp"

#include <algorithm>
#include <stdexcept>

namespace gn::geneve {

std::string_view to_string(ParseError e) {
  switch (e) {
    case ParseError::kOk: return "ok";
    case ParseError::kTruncated: return "truncated header";
    case ParseError::kBadVersion: return "unknown version";
    case ParseError::kOptionsTruncated: return "options past end of datagram";
    case ParseError::kOptionOverrun: return "option length past end of options";
    case ParseError::kUnknownCritical: return "unknown critical option";
  }
  return "?";
}

std::string_view to_string(RouteState s) {
  switch (s) {
    case RouteState::kAbsent: return "absent";
    case RouteState::kPresent: return "present";
    case RouteState::kMalformed: return "malformed";
    case RouteState::kDuplicate: return "duplicate";
  }
  return "?";
}

std::optional<Nat64Route> decode_route(std::span<const std::uint8_t> data) {
  // Longer data is allowed (future fields); shorter is malformed.
  if (data.size() < kRouteDataLen) return std::nullopt;
  Nat64Route r;
  std::copy_n(data.begin(), 16, r.address.begin());
  r.port = load16(data.data() + 16);
  return r;
}

ParseError parse(std::span<const std::uint8_t> d, const OptionId& route_id, Packet& out) {
  if (d.size() < kBaseHeaderLen) return ParseError::kTruncated;
  out.version = static_cast<std::uint8_t>(d[0] >> 6);
  // RFC 8926 3.4: a packet with an unknown version MUST be dropped.
  if (out.version != 0) return ParseError::kBadVersion;
  std::size_t opt_len = static_cast<std::size_t>(d[0] & 0x3f) * 4;
  out.oam = (d[1] & 0x80) != 0;
  out.critical_flag = (d[1] & 0x40) != 0;
  out.protocol = load16(d.data() + 2);
  out.vni = load24(d.data() + 4);
  if (d.size() - kBaseHeaderLen < opt_len) return ParseError::kOptionsTruncated;
  out.options = d.subspan(kBaseHeaderLen, opt_len);
  out.payload = d.subspan(kBaseHeaderLen + opt_len);
  out.route_state = RouteState::kAbsent;

  bool unknown_critical = false;
  ParseError walk = for_each_option(out.options, [&](const OptionView& o) {
    if (o.option_class == route_id.option_class && o.type == route_id.type) {
      if (out.route_state == RouteState::kAbsent) {
        auto r = decode_route(o.data);
        out.route_state = r ? RouteState::kPresent : RouteState::kMalformed;
        if (r) out.route = *r;
      } else {
        out.route_state = RouteState::kDuplicate;
      }
    } else if (o.critical()) {
      unknown_critical = true;
    }
  });
  if (walk != ParseError::kOk) return walk;
  if (unknown_critical) return ParseError::kUnknownCritical;
  return ParseError::kOk;
}

HeaderBuilder::HeaderBuilder(std::uint32_t vni, std::uint16_t protocol) {
  if (vni > kMaxVni) throw std::out_of_range("GENEVE VNI exceeds 24 bits");
  store16(buf_.data() + 2, protocol);
  store24(buf_.data() + 4, vni);
}

HeaderBuilder& HeaderBuilder::oam(bool on) {
  buf_[1] = static_cast<std::uint8_t>(on ? (buf_[1] | 0x80) : (buf_[1] & ~0x80));
  return *this;
}

HeaderBuilder& HeaderBuilder::add_option(std::uint16_t option_class, std::uint8_t type,
                                         std::span<const std::uint8_t> data) {
  std::size_t words = (data.size() + 3) / 4;
  if (words > 0x1f) throw std::length_error("GENEVE option data longer than 124 bytes");
  std::size_t total = kOptionHeaderLen + words * 4;
  if (len_ + total > kMaxHeaderLen) throw std::length_error("GENEVE options longer than 252 bytes");
  std::uint8_t* o = buf_.data() + len_;
  store16(o, option_class);
  o[2] = type;
  o[3] = static_cast<std::uint8_t>(words);
  std::copy(data.begin(), data.end(), o + kOptionHeaderLen);
  std::fill(o + kOptionHeaderLen + data.size(), o + total, std::uint8_t{0xff});
  len_ += total;
  buf_[0] = static_cast<std::uint8_t>((len_ - kBaseHeaderLen) / 4);  // version 0
  if (type & kCriticalTypeBit) buf_[1] |= 0x40;
  return *this;
}

HeaderBuilder& HeaderBuilder::add_route(const OptionId& id, const Nat64Route& route) {
  std::array<std::uint8_t, 18> data;
  std::copy(route.address.begin(), route.address.end(), data.begin());
  store16(data.data() + 16, route.port);
  return add_option(id.option_class, id.type, data);
}

}  // namespace gn::geneve
