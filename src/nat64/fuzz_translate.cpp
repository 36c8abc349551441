// libFuzzer entry point for the translator: the input is fed as a packet
// read from the TUN device (the first byte's version nibble picks the IPv6
// or IPv4 path) and, rewritten, through the other family too. State persists
// across inputs, so sequences build bindings and sessions; the clock
// advances a second per input so that expiry runs as well. Built only by the
// fuzz configuration (clang, -fsanitize=fuzzer,address).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nat64/translator.hpp"

namespace {

gn::nat64::TimePoint g_now = gn::nat64::TimePoint{} + std::chrono::hours(1);

gn::nat64::Translator& translator() {
  static std::unique_ptr<gn::nat64::Translator> t = [] {
    gn::nat64::TranslatorConfig c{
        .prefix = gn::net::Nat64Prefix::parse("2001:db8:64::/96"),
        .pool = *gn::net::IpAddress::parse("198.51.100.7"),
        .geneve_port = 6081,
        .option_id = {},
        .allow = {gn::net::IpPrefix::parse("2001:db8::/32")},
        .rate = 1000,
        .burst = 1000,
        .mtu = 1500,
        .max_sessions = 4096,
        .timeouts = {},
    };
    return std::make_unique<gn::nat64::Translator>(c, [] { return g_now; });
  }();
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& t = translator();
  std::vector<std::uint8_t> in(data, data + size);
  std::vector<std::uint8_t> out;
  t.process(in, out);
  // Feed whatever came out back in (translations of translations, errors
  // about errors), then the same bytes under the other version nibble.
  if (!out.empty()) {
    std::vector<std::uint8_t> again = out;
    t.process(again, out);
  }
  if (!in.empty()) {
    in[0] = static_cast<std::uint8_t>((in[0] & 0x0f) | ((in[0] >> 4) == 6 ? 0x40 : 0x60));
    t.process(in, out);
  }
  g_now += std::chrono::seconds(1);
  t.on_timer();
  return 0;
}
