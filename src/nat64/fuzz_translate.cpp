// libFuzzer entry point for the translator. Each input is a whole run on a
// fresh translator with its own clock, so a crash reproduces from its input
// alone. The input is a sequence of packets, so that bindings and sessions
// built by earlier packets meet later ones, and expiry runs between them:
//
//   repeat { advance: 1 byte (seconds, 0..255: past every NAT64 timeout)
//            length: 2 bytes, big-endian; packet: that many bytes (or the rest) }
//
// Each packet is fed as read from the TUN device (the first byte's version
// nibble picks the IPv6 or IPv4 path), whatever came out is fed back in, and
// the packet again under the other version nibble. Built only by the fuzz
// configuration (clang, -fsanitize=fuzzer,address).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "nat64/translator.hpp"

namespace {

gn::nat64::TranslatorConfig config() {
  return {
      .prefix = gn::net::Nat64Prefix::parse("2001:db8:64::/96"),
      .pool = *gn::net::IpAddress::parse("198.51.100.7"),
      .geneve_port = 6081,
      .option_id = {},
      .allow = {gn::net::IpPrefix::parse("2001:db8::/32")},
      .rate = 1000,
      .burst = 1000,
      .mtu = 1500,
      .max_sessions = 4096,
      // Within reach of the 255-second steps: every TCP state expires too.
      .timeouts = {.tcp_established = std::chrono::seconds(300)},
      // Small, so that the limit and the table's overflow are reached.
      .prefix_rate = 20000,
      .max_usage_prefixes = 8,
      // Few and small, so that the bounds are reached.
      .reassembly = {.max_datagrams = 4, .max_bytes = 100000, .timeout = std::chrono::seconds(5)},
      // Secrets of zeros, so that inputs can answer offers (the corpus
      // has a whole exchange: tests/fuzz/corpus/nat64/bypass-*).
      .bypass = {.enabled = true,
                 .limits = {.max_servers = 4},
                 .mac_rotation = std::chrono::seconds(600),
                 .message = "offer",
                 .transient = [] { return gn::bypass::Secret{}; }},
  };
}

// Through handle(), as the gateway does: the usage accounting and the
// bandwidth limit run too.
void feed(gn::nat64::Translator& t, std::span<const std::uint8_t> packet) {
  std::vector<std::uint8_t> in(packet.begin(), packet.end());
  std::vector<std::uint8_t> out;
  auto take = [](std::span<const std::uint8_t>) { return true; };
  t.handle(in, out, take);
  // Translations of translations, errors about errors.
  if (!out.empty()) {
    std::vector<std::uint8_t> again = out;
    t.handle(again, out, take);
  }
  if (!in.empty()) {
    // As a TUN device with offloads hands it over: partial, and a TCP
    // super-packet with a segment size taken from the packet's last byte.
    t.handle(in, out, take,
             gn::nat64::Offload{.partial = true, .tcp_segment = static_cast<std::uint16_t>(in.back() * 8)});
    in[0] = static_cast<std::uint8_t>((in[0] & 0x0f) | ((in[0] >> 4) == 6 ? 0x40 : 0x60));
    t.handle(in, out, take);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gn::nat64::TimePoint now = gn::nat64::TimePoint{} + std::chrono::hours(1);
  gn::nat64::Translator t(config(), [&now] { return now; });
  std::span<const std::uint8_t> rest(data, size);
  while (rest.size() >= 3) {
    if ((rest[0] & 0x80) != 0) (void)t.take_usage_interval();
    now += std::chrono::seconds(rest[0]);
    t.on_timer();
    const std::size_t len = std::min<std::size_t>((std::size_t{rest[1]} << 8) | rest[2], rest.size() - 3);
    feed(t, rest.subspan(3, len));
    rest = rest.subspan(3 + len);
  }
  return 0;
}
