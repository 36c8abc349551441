// libFuzzer target for the GENEVE codec and the control framing: any byte
// string must parse or be rejected without reading outside the buffer, and
// whatever parses must be self-consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "geneve/codec.hpp"
#include "geneve/control.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  gn::geneve::Packet p;
  auto err = gn::geneve::parse(in, gn::geneve::OptionId{}, p);
  if (err == gn::geneve::ParseError::kOk) {
    // The views partition the datagram: header, options, payload.
    if (8 + p.options.size() + p.payload.size() != size) std::abort();
    if (p.payload.data() != data + 8 + p.options.size()) std::abort();
    std::size_t walked = 0;
    gn::geneve::for_each_option(p.options, [&](const gn::geneve::OptionView& o) { walked += 4 + o.data.size(); });
    if (walked != p.options.size()) std::abort();
    if (auto c = gn::geneve::parse_control(p.payload)) {
      if (c->body.data() + c->body.size() > p.payload.data() + p.payload.size()) std::abort();
    }
  }
  // The control parser also sees raw input, not only what the codec passed.
  (void)gn::geneve::parse_control(in);
  return 0;
}
