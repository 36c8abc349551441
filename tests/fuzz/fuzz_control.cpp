// libFuzzer target: control messages (docs/protocol.md 6) as they arrive,
// i.e. an inner Ethernet frame of any length and content, and the server's
// JSON client list. Checks that parsing never reads past the input and that
// whatever parses also verifies (with and without a key) and re-encodes to a
// frame that parses back to the same message.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/cli.hpp"
#include "control/message.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gn;
  // Copy into an exact-size buffer so ASan sees any over-read.
  std::vector<std::uint8_t> frame(data, data + size);
  if (auto r = control::parse_frame(frame)) {
    control::Key key{};
    (void)control::verify(*r, 42, &key);
    (void)control::verify(*r, 42, nullptr);
    std::array<std::uint8_t, 6> mac{};
    auto again = control::build_frame(r->message, 42, mac, r->has_mac ? &key : nullptr);
    auto back = control::parse_frame(again);
    if (!back || back->message.counter != r->message.counter || back->message.probe_id != r->message.probe_id ||
        back->message.sender != r->message.sender || back->message.observed != r->message.observed)
      __builtin_trap();
    if (r->has_mac && control::verify(*back, 42, &key) != control::DecodeError::kOk) __builtin_trap();
  }
  config::EndpointConfig cfg;
  std::vector<config::PeerSpec> clients;
  try {
    config::load_server_config(std::string(data, data + size), cfg, clients);
  } catch (const UsageError&) {
  }
  return 0;
}
