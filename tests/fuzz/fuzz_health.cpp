// libFuzzer target for geneve-nat64-health's parsers: the echo replies and
// UDP echoes it reads from the network, and the clients/exclude entries it
// writes into named's configuration. A parsed reply must say what its bytes
// say, a parsed UDP echo must be exactly our request, and an accepted entry
// must hold nothing that could end the BIND statement it goes into, and be
// its own canonical form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "health/echo.hpp"
#include "health/fragment.hpp"
#include "util/error.hpp"

using namespace gn;

namespace {

void entry(const std::string& text, std::string (*parse)(const std::string&)) {
  std::string out;
  try {
    out = parse(text);
  } catch (const UsageError&) {
    return;
  }
  if (out.find_first_of(";{}\"\n ") != std::string::npos) std::abort();
  if (parse(out) != out) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (const auto r = health::parse_echo_reply(bytes)) {
    if (size < 8 || data[0] != health::kEchoReply || r->id != (data[4] << 8 | data[5]) ||
        r->seq != (data[6] << 8 | data[7]))
      std::abort();
  }
  if (size >= 8) {
    const auto id = static_cast<std::uint16_t>(data[4] << 8 | data[5]);
    if (const auto seq = health::parse_udp_echo(bytes, id)) {
      const auto want = health::echo_request(id, *seq);
      if (want.size() != size || !std::equal(want.begin(), want.end(), data)) std::abort();
    }
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  entry(text, health::client_element);
  entry(text, health::exclude_element);
  return 0;
}
