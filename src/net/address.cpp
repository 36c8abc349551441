#include "net/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/hash.hpp"

namespace gn::net {

IpAddress IpAddress::v4(const std::array<std::uint8_t, 4>& b) {
  IpAddress a;
  a.family_ = Family::kV4;
  std::copy(b.begin(), b.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& b) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = b;
  return a;
}

IpAddress IpAddress::from_in6(const in6_addr& in) {
  std::array<std::uint8_t, 16> b;
  std::memcpy(b.data(), &in, 16);
  return v6(b);
}

IpAddress IpAddress::from_in(const in_addr& in) {
  std::array<std::uint8_t, 4> b;
  std::memcpy(b.data(), &in, 4);
  return v4(b);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) return from_in6(a6);
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) return from_in(a4);
  return std::nullopt;
}

std::array<std::uint8_t, 4> IpAddress::v4_bytes() const {
  return {bytes_[0], bytes_[1], bytes_[2], bytes_[3]};
}

in6_addr IpAddress::to_in6() const {
  in6_addr a{};
  std::memcpy(&a, bytes_.data(), 16);
  return a;
}

in_addr IpAddress::to_in() const {
  in_addr a{};
  std::memcpy(&a, bytes_.data(), 4);
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    in_addr a = to_in();
    inet_ntop(AF_INET, &a, buf, sizeof buf);
  } else {
    in6_addr a = to_in6();
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
  }
  return buf;
}

std::string Endpoint::to_string() const {
  if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
  return "[" + address.to_string() + "]:" + std::to_string(port);
}

socklen_t Endpoint::to_sockaddr(sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = address.to_in();
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  sin6->sin6_addr = address.to_in6();
  return sizeof(sockaddr_in6);
}

std::optional<Endpoint> Endpoint::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    return Endpoint{IpAddress::from_in(sin.sin_addr), ntohs(sin.sin_port)};
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    return Endpoint{IpAddress::from_in6(sin6.sin6_addr), ntohs(sin6.sin6_port)}.unmapped();
  }
  return std::nullopt;
}

Endpoint Endpoint::unmapped() const {
  const auto& b = address.bytes();
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (address.is_v6() && std::equal(b.begin(), b.begin() + 12, kMapped))
    return Endpoint{IpAddress::v4({b[12], b[13], b[14], b[15]}), port};
  return *this;
}

namespace {

// Splits "addr/len"; throws UsageError naming `what`.
std::pair<IpAddress, int> parse_prefix(std::string_view text, const char* what) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    throw UsageError(std::string(what) + " '" + std::string(text) + "' needs a /length");
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) throw UsageError(std::string(what) + " '" + std::string(text) + "' is not an address/length");
  auto len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  int max = addr->is_v4() ? 32 : 128;
  if (ec != std::errc() || end != len_text.data() + len_text.size() || len < 0 || len > max)
    throw UsageError(std::string(what) + " '" + std::string(text) + "' has a bad length (0.." + std::to_string(max) +
                     ")");
  return {*addr, len};
}

bool prefix_match(const IpAddress& network, int length, const IpAddress& a) {
  if (network.family() != a.family()) return false;
  const auto& n = network.bytes();
  const auto& b = a.bytes();
  int full = length / 8;
  if (!std::equal(n.begin(), n.begin() + full, b.begin())) return false;
  int rest = length % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (n[full] & mask) == (b[full] & mask);
}

// RFC 6052 2.2: byte positions of the four IPv4 octets for each prefix
// length; byte 8 (bits 64..71, "u") is always skipped.
const int* embed_positions(int length) {
  static constexpr int k32[4] = {4, 5, 6, 7};
  static constexpr int k40[4] = {5, 6, 7, 9};
  static constexpr int k48[4] = {6, 7, 9, 10};
  static constexpr int k56[4] = {7, 9, 10, 11};
  static constexpr int k64[4] = {9, 10, 11, 12};
  static constexpr int k96[4] = {12, 13, 14, 15};
  switch (length) {
    case 32: return k32;
    case 40: return k40;
    case 48: return k48;
    case 56: return k56;
    case 64: return k64;
    case 96: return k96;
    default: return nullptr;
  }
}

}  // namespace

Nat64Prefix Nat64Prefix::parse(std::string_view text) {
  auto [addr, len] = parse_prefix(text, "NAT64 prefix");
  if (!addr.is_v6()) throw UsageError("NAT64 prefix '" + std::string(text) + "' must be IPv6");
  return Nat64Prefix(addr, len);
}

Nat64Prefix::Nat64Prefix(const IpAddress& prefix, int length) : prefix_(prefix), length_(length) {
  if (!prefix.is_v6() || !embed_positions(length))
    throw UsageError("NAT64 prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052), not " + std::to_string(length));
  // Keep only the prefix bits, so embed() never mixes in stray host bits.
  auto b = prefix.bytes();
  for (int i = 0; i < 16; ++i) {
    if (i * 8 >= length) b[i] = 0;
  }
  prefix_ = IpAddress::v6(b);
}

IpAddress Nat64Prefix::embed(const IpAddress& v4) const {
  auto b = prefix_.bytes();
  const int* pos = embed_positions(length_);
  auto v = v4.v4_bytes();
  for (int i = 0; i < 4; ++i) b[pos[i]] = v[i];
  return IpAddress::v6(b);
}

bool Nat64Prefix::contains(const IpAddress& v6) const {
  return prefix_match(prefix_, length_, v6);
}

std::optional<IpAddress> Nat64Prefix::extract(const IpAddress& v6) const {
  if (!contains(v6)) return std::nullopt;
  const int* pos = embed_positions(length_);
  const auto& b = v6.bytes();
  return IpAddress::v4({b[pos[0]], b[pos[1]], b[pos[2]], b[pos[3]]});
}

std::string Nat64Prefix::to_string() const {
  return prefix_.to_string() + "/" + std::to_string(length_);
}

IpPrefix IpPrefix::parse(std::string_view text) {
  auto [addr, len] = parse_prefix(text, "prefix");
  IpPrefix p;
  p.network_ = addr;
  p.length_ = len;
  return p;
}

bool IpPrefix::contains(const IpAddress& a) const {
  return prefix_match(network_, length_, a);
}

IpAddress IpPrefix::network() const {
  return masked(network_, length_);
}

std::string IpPrefix::to_string() const {
  return network_.to_string() + "/" + std::to_string(length_);
}

IpAddress masked(const IpAddress& a, int length) {
  auto b = a.bytes();
  const int bytes = a.is_v4() ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    const int keep = std::clamp(length - i * 8, 0, 8);
    b[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(0xff00u >> keep);
  }
  if (a.is_v4()) return IpAddress::v4({b[0], b[1], b[2], b[3]});
  return IpAddress::v6(b);
}

InterfaceAddress InterfaceAddress::parse(std::string_view text) {
  auto [addr, len] = parse_prefix(text, "interface address");
  return InterfaceAddress{addr, len};
}

std::string InterfaceAddress::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::size_t AddressHasher::operator()(const IpAddress& a) const {
  std::uint64_t hi = load64(a.bytes().data()), lo = load64(a.bytes().data() + 8);
  return mix64(mix64(hi ^ seed) ^ lo ^ static_cast<std::uint64_t>(a.family()));
}

std::size_t AddressHasher::operator()(const Endpoint& e) const {
  return mix64((*this)(e.address) ^ (static_cast<std::uint64_t>(e.port) << 16));
}

}  // namespace gn::net
