#pragma once
// Control messages (docs/protocol.md section 6): probes and replies, with an
// optional MAC (libsodium crypto_auth) and a counter for replay protection.
// Pure: building and checking bytes, no I/O.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geneve/control.hpp"
#include "net/address.hpp"

namespace gn::control {

inline constexpr std::size_t kKeyLen = 32;
inline constexpr std::size_t kMacLen = 32;
using Key = std::array<std::uint8_t, kKeyLen>;

enum class MessageType : std::uint8_t { kProbe = 1, kReply = 2 };

// The kind of path a message travels on or data is sent on (6.6).
enum class PathKind : std::uint8_t { kNone = 0, kDirect = 1, kNat64 = 2, kLearned = 3 };
std::string_view to_string(PathKind k);

struct Message {
  MessageType type = MessageType::kProbe;
  net::IpAddress sender;    // the sender's LOCAL
  net::IpAddress receiver;  // the REMOTE it addresses
  std::uint64_t counter = 0;
  std::uint64_t probe_id = 0;
  PathKind sent_on = PathKind::kNone;
  PathKind in_use = PathKind::kNone;
  std::optional<net::Endpoint> observed;  // replies only
};

inline constexpr std::size_t kProbeBodyLen = 52;
inline constexpr std::size_t kReplyBodyLen = 72;

// The whole inner Ethernet frame of a control message. `key`: add a MAC.
std::vector<std::uint8_t> build_frame(const Message& m, std::uint32_t vni, std::span<const std::uint8_t, 6> src_mac,
                                      const Key* key);

enum class DecodeError : std::uint8_t { kOk, kMalformed, kUnauthenticated, kBadMac };
std::string_view to_string(DecodeError e);

// A message parsed but not yet verified: the sender field says which key to
// verify it with.
struct Received {
  Message message;
  bool has_mac = false;
  std::span<const std::uint8_t> signed_part;  // magic .. end of body fields
  std::span<const std::uint8_t> mac;
};

// Parses a control frame (one that geneve::is_control_frame accepts).
std::optional<Received> parse_frame(std::span<const std::uint8_t> frame);

// kOk if `key` is null (no key configured: any message is taken, 6.3) or the
// MAC is present and right.
DecodeError verify(const Received& r, std::uint32_t vni, const Key* key);

// Reads a base64 key (as `wg genkey` writes it) from a file; throws with the
// file name if it cannot be read or is not 32 bytes. Warns if the file can be
// read by group or others.
Key read_key_file(const std::string& path);
Key parse_key(std::string_view text, const std::string& what);
std::string generate_key_base64();
// A random 64-bit probe id (libsodium's CSPRNG: ids must not be guessable).
std::uint64_t random_probe_id();

// Highest counter plus a 64-message window below it (6.4).
class ReplayWindow {
 public:
  // True (and records it) if `counter` was not seen and is not too old.
  bool accept(std::uint64_t counter);

 private:
  std::uint64_t highest_ = 0;
  std::uint64_t seen_ = 0;  // bit i: highest_ - i seen
  bool any_ = false;
};

// Counter source: CLOCK_REALTIME nanoseconds at construction, then +1 (6.4).
class CounterSource {
 public:
  CounterSource();
  std::uint64_t next() { return next_++; }

 private:
  std::uint64_t next_;
};

}  // namespace gn::control
