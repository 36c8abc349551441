// libFuzzer target for the NAT64 bypass's parsers (docs/protocol.md 8):
// the option scan and log message over any GENEVE datagram, and the offer
// and advertisement parsers over any frame. What parses must rebuild to a
// frame that parses to the same message (the builder and the parser agree),
// and an accepted offer always has its link-layer address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "bypass/neighbor.hpp"
#include "bypass/option.hpp"
#include "geneve/codec.hpp"

using namespace gn;

namespace {

bool same(const bypass::NeighborMessage& a, const bypass::NeighborMessage& b) {
  return a.type == b.type && a.eth_dst == b.eth_dst && a.eth_src == b.eth_src && a.src == b.src && a.dst == b.dst &&
         a.flags == b.flags && a.target == b.target && a.link_layer == b.link_layer;
}

template <typename Parse>
void round_trip(std::span<const std::uint8_t> frame, Parse parse) {
  bypass::NeighborMessage m;
  if (parse(frame, m) != bypass::NeighborError::kOk) return;
  bypass::NeighborMessage again;
  if (parse(bypass::build_neighbor(m), again) != bypass::NeighborError::kOk || !same(m, again)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  geneve::Packet p;
  if (geneve::parse(in, geneve::OptionId{}, p) == geneve::ParseError::kOk) {
    const bypass::Found f = bypass::find_option(p.options);
    if (f.count == 0 && !f.data.empty()) std::abort();
    if (bypass::log_message(f.data).size() > 4 * f.data.size()) std::abort();
    round_trip(p.payload, bypass::parse_offer);
    round_trip(p.payload, bypass::parse_advertisement);
  }
  bypass::NeighborMessage m;
  if (bypass::parse_offer(in, m) == bypass::NeighborError::kOk && !m.link_layer) std::abort();
  round_trip(in, bypass::parse_offer);
  round_trip(in, bypass::parse_advertisement);
  return 0;
}
