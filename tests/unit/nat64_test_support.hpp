#pragma once
// Shared by the translator's tests (nat64_translator_test.cpp,
// nat64_bypass_test.cpp): packets built with a from-scratch checksum (not
// net/checksum.hpp), so every packet the translator emits is checked
// against an independent implementation, and the fixture that runs them.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "geneve/codec.hpp"
#include "nat64/translator.hpp"

namespace gn::nat64::test {

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// ---- independent reference helpers -----------------------------------------

// RFC 1071, written as plainly as possible.
inline std::uint16_t ref_sum(const Bytes& data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    std::uint32_t word = static_cast<std::uint32_t>(data[i]) << 8;
    if (i + 1 < data.size()) word |= data[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}
inline std::uint16_t ref_checksum(const Bytes& data) {
  return static_cast<std::uint16_t>(~ref_sum(data));
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline Bytes be16(unsigned v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
inline Bytes be32(unsigned v) {
  return cat({be16(v >> 16), be16(v & 0xffff)});
}
inline unsigned get16(const Bytes& b, std::size_t off) {
  return (b.at(off) << 8) | b.at(off + 1);
}
inline void put16(Bytes& b, std::size_t off, unsigned v) {
  b.at(off) = static_cast<std::uint8_t>(v >> 8);
  b.at(off + 1) = static_cast<std::uint8_t>(v);
}

inline Bytes a6(const char* text) {
  auto a = net::IpAddress::parse(text);
  EXPECT_TRUE(a && a->is_v6()) << text;
  return Bytes(a->bytes().begin(), a->bytes().end());
}
inline Bytes a4(const char* text) {
  auto a = net::IpAddress::parse(text);
  EXPECT_TRUE(a && a->is_v4()) << text;
  auto b = a->v4_bytes();
  return Bytes(b.begin(), b.end());
}

inline Bytes pseudo6(const Bytes& src, const Bytes& dst, unsigned length, unsigned next) {
  return cat({src, dst, be32(length), {0, 0, 0, static_cast<std::uint8_t>(next)}});
}
inline Bytes pseudo4(const Bytes& src, const Bytes& dst, unsigned length, unsigned proto) {
  return cat({src, dst, {0, static_cast<std::uint8_t>(proto)}, be16(length)});
}

inline Bytes ipv6(const Bytes& src, const Bytes& dst, unsigned next, const Bytes& payload, unsigned hop = 64,
                  unsigned tclass = 0) {
  Bytes h = {static_cast<std::uint8_t>(0x60 | (tclass >> 4)), static_cast<std::uint8_t>(tclass << 4), 0, 0};
  return cat({h,
              be16(static_cast<unsigned>(payload.size())),
              {static_cast<std::uint8_t>(next), static_cast<std::uint8_t>(hop)},
              src,
              dst,
              payload});
}
inline Bytes ipv4(const Bytes& src, const Bytes& dst, unsigned proto, const Bytes& payload, unsigned ttl = 64,
                  bool df = false, unsigned tos = 0, unsigned flags_offset = 0) {
  Bytes h = cat({{0x45, static_cast<std::uint8_t>(tos)},
                 be16(20 + static_cast<unsigned>(payload.size())),
                 be16(0x1234),
                 be16((df ? 0x4000 : 0) | flags_offset),
                 {static_cast<std::uint8_t>(ttl), static_cast<std::uint8_t>(proto)},
                 be16(0),
                 src,
                 dst});
  put16(h, 10, ref_checksum(h));
  return cat({h, payload});
}

inline Bytes udp6(const Bytes& src, unsigned sport, const Bytes& dst, unsigned dport, const Bytes& data,
                  unsigned hop = 64) {
  Bytes u = cat({be16(sport), be16(dport), be16(8 + static_cast<unsigned>(data.size())), be16(0), data});
  put16(u, 6, ref_checksum(cat({pseudo6(src, dst, static_cast<unsigned>(u.size()), 17), u})));
  return ipv6(src, dst, 17, u, hop);
}
inline Bytes udp4(const Bytes& src, unsigned sport, const Bytes& dst, unsigned dport, const Bytes& data,
                  unsigned ttl = 64, bool df = false, bool zero_checksum = false) {
  Bytes u = cat({be16(sport), be16(dport), be16(8 + static_cast<unsigned>(data.size())), be16(0), data});
  if (!zero_checksum) {
    unsigned c = ref_checksum(cat({pseudo4(src, dst, static_cast<unsigned>(u.size()), 17), u}));
    put16(u, 6, c == 0 ? 0xffff : c);
  }
  return ipv4(src, dst, 17, u, ttl, df);
}
inline Bytes icmp6(const Bytes& src, const Bytes& dst, unsigned type, unsigned code, unsigned rest, const Bytes& body,
                   unsigned hop = 64) {
  Bytes m = cat({{static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code)}, be16(0), be32(rest), body});
  put16(m, 2, ref_checksum(cat({pseudo6(src, dst, static_cast<unsigned>(m.size()), 58), m})));
  return ipv6(src, dst, 58, m, hop);
}
inline Bytes icmp4(const Bytes& src, const Bytes& dst, unsigned type, unsigned code, unsigned rest, const Bytes& body,
                   unsigned ttl = 64) {
  Bytes m = cat({{static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(code)}, be16(0), be32(rest), body});
  put16(m, 2, ref_checksum(m));
  return ipv4(src, dst, 1, m, ttl);
}

// TCP flags, as in byte 13 of the header.
inline constexpr unsigned kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
inline Bytes tcp_segment(unsigned sport, unsigned dport, unsigned flags, const Bytes& data) {
  return cat({be16(sport),
              be16(dport),
              be32(1000),
              be32(flags & kAck ? 2000 : 0),
              {0x50, static_cast<std::uint8_t>(flags)},
              be16(65535),
              be16(0),
              be16(0),
              data});
}
inline Bytes tcp6(const Bytes& src, unsigned sport, const Bytes& dst, unsigned dport, unsigned flags,
                  const Bytes& data = {}) {
  Bytes seg = tcp_segment(sport, dport, flags, data);
  put16(seg, 16, ref_checksum(cat({pseudo6(src, dst, static_cast<unsigned>(seg.size()), 6), seg})));
  return ipv6(src, dst, 6, seg);
}
inline Bytes tcp4(const Bytes& src, unsigned sport, const Bytes& dst, unsigned dport, unsigned flags,
                  const Bytes& data = {}, bool df = true) {
  Bytes seg = tcp_segment(sport, dport, flags, data);
  put16(seg, 16, ref_checksum(cat({pseudo4(src, dst, static_cast<unsigned>(seg.size()), 6), seg})));
  return ipv4(src, dst, 6, seg, 64, df);
}

inline Bytes sub(const Bytes& b, std::size_t off, std::size_t len) {
  return Bytes(b.begin() + static_cast<long>(off), b.begin() + static_cast<long>(off + len));
}
inline Bytes tail(const Bytes& b, std::size_t off) {
  return Bytes(b.begin() + static_cast<long>(off), b.end());
}

// Checks every checksum of an emitted IPv4 packet with the reference code.
inline void expect_valid_v4(const Bytes& p) {
  ASSERT_GE(p.size(), 20u);
  ASSERT_EQ(p[0], 0x45);
  ASSERT_EQ(get16(p, 2), p.size());
  EXPECT_EQ(ref_sum(sub(p, 0, 20)), 0xffff) << "IPv4 header checksum";
  Bytes l4 = tail(p, 20);
  if (p[9] == 17) {
    ASSERT_GE(l4.size(), 8u);
    EXPECT_EQ(get16(l4, 4), l4.size());
    if (get16(l4, 6) != 0) {
      EXPECT_EQ(ref_sum(cat({pseudo4(sub(p, 12, 4), sub(p, 16, 4), static_cast<unsigned>(l4.size()), 17), l4})), 0xffff)
          << "UDP checksum";
    }
  } else if (p[9] == 1) {
    EXPECT_EQ(ref_sum(l4), 0xffff) << "ICMPv4 checksum";
  } else if (p[9] == 6) {
    EXPECT_EQ(ref_sum(cat({pseudo4(sub(p, 12, 4), sub(p, 16, 4), static_cast<unsigned>(l4.size()), 6), l4})), 0xffff)
        << "TCP checksum";
  }
}
inline void expect_valid_v6(const Bytes& p) {
  ASSERT_GE(p.size(), 40u);
  ASSERT_EQ(p[0] >> 4, 6);
  ASSERT_EQ(get16(p, 4) + 40u, p.size());
  Bytes l4 = tail(p, 40);
  if (p[6] == 17) {
    EXPECT_NE(get16(l4, 6), 0u) << "UDP checksum zero over IPv6";
  }
  if (p[6] == 17 || p[6] == 58 || p[6] == 6) {
    EXPECT_EQ(ref_sum(cat({pseudo6(sub(p, 8, 16), sub(p, 24, 16), static_cast<unsigned>(l4.size()), p[6]), l4})),
              0xffff)
        << "transport checksum";
  }
}

// ---- fixture -----------------------------------------------------------------

inline const Bytes kHost = a6("2001:db8:1::2");
inline const Bytes kHost2 = a6("2001:db8:1::3");
inline const Bytes kPool = a4("198.51.100.7");
inline const Bytes kRemote = a4("203.0.113.10");
inline const Bytes kRemote2 = a4("203.0.113.20");
inline const Bytes kRemote6 = a6("2001:db8:64::cb00:710a");   // 203.0.113.10 in the /96
inline const Bytes kRemote26 = a6("2001:db8:64::cb00:7114");  // 203.0.113.20
inline const Bytes kGateway6 = a6("2001:db8:64::c633:6407");  // 198.51.100.7: the gateway itself
inline const Bytes kRouter = a4("192.0.2.254");

inline TranslatorConfig base_config() {
  return TranslatorConfig{.prefix = net::Nat64Prefix::parse("2001:db8:64::/96"),
                          .pool = *net::IpAddress::parse("198.51.100.7"),
                          .geneve_port = 6081,
                          .option_id = {},
                          .allow = {},
                          .rate = 10,
                          .burst = 20,
                          .mtu = 1500,
                          .max_sessions = 65536,
                          .timeouts = {},
                          .reassembly = {},
                          .bypass = {}};
}

class Nat64Test : public ::testing::Test {
 protected:
  void SetUp() override { build(); }

  TranslatorConfig default_config() {
    TranslatorConfig c = base_config();
    c.allow.push_back(net::IpPrefix::parse("2001:db8:1::/64"));
    c.rate = 1;
    c.burst = 2;
    return c;
  }
  void build() { build(default_config()); }
  void build(const TranslatorConfig& c) {
    config = c;
    t = std::make_unique<Translator>(c, [this] { return now; });
  }
  // Through handle(), as the gateway does; the "TUN device" takes the
  // packet unless tun_refuses.
  Verdict run(const Bytes& in) {
    all_written.clear();
    return t->handle(in, out, [this](std::span<const std::uint8_t> p) {
      ++writes;
      if (tun_refuses) return false;
      written.assign(p.begin(), p.end());
      all_written.push_back(written);
      return true;
    });
  }
  std::uint64_t count(Counter c) const { return t->counters().get(c); }
  // Runs a packet that must be dropped for `reason`, and checks it was counted.
  void expect_drop(const Bytes& in, Counter reason) {
    std::uint64_t before = count(reason);
    Verdict v = run(in);
    EXPECT_EQ(v.fate, Fate::kDrop) << counter_name(reason);
    EXPECT_EQ(v.counter, reason) << "got " << counter_name(v.counter) << ", wanted " << counter_name(reason);
    EXPECT_EQ(count(reason), before + 1) << counter_name(reason);
  }
  // As run(), with what the TUN device's virtio-net header said.
  Verdict run_offload(const Bytes& in, const Offload& offload) {
    all_written.clear();
    return t->handle(
        in, out,
        [this](std::span<const std::uint8_t> p) {
          written.assign(p.begin(), p.end());
          all_written.push_back(written);
          return true;
        },
        offload);
  }
  // Host sends from port `sport` to the remote: opens a binding, returns the pool port.
  unsigned open(const Bytes& host, unsigned sport, const Bytes& remote6, unsigned dport) {
    Verdict v = run(udp6(host, sport, remote6, dport, {'x'}));
    EXPECT_EQ(v.fate, Fate::kForward);
    return get16(out, 20);
  }
  Bytes geneve(std::optional<geneve::Nat64Route> route, int copies = 1) {
    geneve::HeaderBuilder h(1);
    for (int i = 0; i < copies && route; ++i) h.add_route(geneve::OptionId{}, *route);
    Bytes b(h.bytes().begin(), h.bytes().end());
    Bytes frame(14, 0xab);
    return cat({b, frame});
  }
  geneve::Nat64Route route_to(const Bytes& addr, std::uint16_t port = 6081) {
    geneve::Nat64Route r;
    std::copy(addr.begin(), addr.end(), r.address.begin());
    r.port = port;
    return r;
  }

  TimePoint now = TimePoint{} + 1000h;
  TranslatorConfig config = base_config();
  std::unique_ptr<Translator> t;
  Bytes out;
  bool tun_refuses = false;
  int writes = 0;
  Bytes written;
  std::vector<Bytes> all_written;  // by the last run(): more than one if fragmented
};

}  // namespace gn::nat64::test
