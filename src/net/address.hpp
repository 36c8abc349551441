#pragma once
// IP addresses, UDP endpoints and RFC 6052 NAT64 prefixes: pure values, no I/O.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gn::net {

enum class Family : std::uint8_t { kV4, kV6 };

// An IPv4 or IPv6 address. IPv4 is kept in the first 4 bytes of `bytes`.
class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(const std::array<std::uint8_t, 4>& b);
  static IpAddress v6(const std::array<std::uint8_t, 16>& b);
  static IpAddress from_in6(const in6_addr& in);
  static IpAddress from_in(const in_addr& in);
  // Strict textual parse (inet_pton): "192.0.2.1" or "2001:db8::1". No
  // brackets, no zone, no surrounding space.
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::array<std::uint8_t, 4> v4_bytes() const;
  in6_addr to_in6() const;
  in_addr to_in() const;
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kV6;
  std::array<std::uint8_t, 16> bytes_{};
};

// An IP address and UDP port.
struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;

  // "[2001:db8::1]:6081" or "192.0.2.1:6081".
  std::string to_string() const;
  // Fills `out` with the socket address; returns its length.
  socklen_t to_sockaddr(sockaddr_storage& out) const;
  // Returns nullopt for families other than AF_INET/AF_INET6.
  static std::optional<Endpoint> from_sockaddr(const sockaddr* sa, socklen_t len);
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) read from a dual-stack socket
  // becomes the plain IPv4 endpoint, so comparisons see one form.
  Endpoint unmapped() const;

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// Keyed hash for IpAddress and Endpoint keys of unordered containers.
struct AddressHasher {
  std::uint64_t seed = 0;
  std::size_t operator()(const IpAddress& a) const;
  std::size_t operator()(const Endpoint& e) const;
};

// `a` with every bit past the first `length` cleared.
IpAddress masked(const IpAddress& a, int length);

// A NAT64 prefix (RFC 6052 section 2.2): length 32, 40, 48, 56, 64 or 96.
class Nat64Prefix {
 public:
  // Parses "2001:db8:64::/96". Throws UsageError with the reason.
  static Nat64Prefix parse(std::string_view text);
  Nat64Prefix(const IpAddress& prefix, int length);

  const IpAddress& prefix() const { return prefix_; }
  int length() const { return length_; }
  // Embeds an IPv4 address into the prefix (bits 64..71 stay zero).
  IpAddress embed(const IpAddress& v4) const;
  // The IPv4 address embedded in `v6` if `v6` lies in this prefix.
  std::optional<IpAddress> extract(const IpAddress& v6) const;
  bool contains(const IpAddress& v6) const;
  std::string to_string() const;

  friend bool operator==(const Nat64Prefix&, const Nat64Prefix&) = default;

 private:
  IpAddress prefix_;
  int length_;
};

// An IPv6 or IPv4 prefix for allow lists: "2001:db8:b::/48".
class IpPrefix {
 public:
  static IpPrefix parse(std::string_view text);  // throws UsageError
  bool contains(const IpAddress& a) const;
  // The network with the host bits cleared ("2001:db8::1/32" gives
  // 2001:db8::), and the length.
  IpAddress network() const;
  int length() const { return length_; }
  std::string to_string() const;

 private:
  IpAddress network_;
  int length_ = 0;
};

// An address as assigned to an interface, with its prefix length:
// "192.0.2.1/24" keeps its host bits (an IpPrefix is for matching).
struct InterfaceAddress {
  IpAddress address;
  int length = 0;
  static InterfaceAddress parse(std::string_view text);  // throws UsageError
  std::string to_string() const;
};

}  // namespace gn::net
