// libFuzzer target: control messages (docs/protocol.md 6) as they arrive,
// i.e. an inner Ethernet frame of any length and content, and the same bytes
// as a server's and a client's --config file (the server's client list). Checks that parsing never reads past the input
// and that whatever parses also verifies (with and without a key) and re-encodes to a frame that parses back to the
// same message.
#include <sys/mman.h>
#include <unistd.h>

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
  // The config reader takes a file name: the input goes into a memfd, named
  // through /proc (no disk, one fd for the whole run).
  static const int fd = ::memfd_create("fuzz_config", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) __builtin_trap();
  for (config::Mode mode : {config::Mode::kServer, config::Mode::kClient}) {
    try {
      (void)config::parse_endpoint(mode, {"--config", path, "--check-config"});
    } catch (const UsageError&) {
    }
  }
  return 0;
}
