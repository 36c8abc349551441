#pragma once
// The gateway's status document (served on the status socket) and its
// human-readable rendering for `geneve-nat64-gateway status`. Pure.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nat64/translator.hpp"

namespace gn::nat64 {

// The status socket sends the document with one non-blocking write, so a
// huge table would arrive cut off: list at most this many sessions (the
// totals are always exact, and "sessions_listed" says how many are shown).
inline constexpr std::size_t kMaxListedSessions = 1000;

struct StatusInfo {
  std::string tun;
  double uptime_seconds = 0;
  long pid = 0;
  // The TUN device's offloads: what is on ("checksum, tso") or why none is.
  std::string offload;
};

nlohmann::json status_document(const Translator& translator, const StatusInfo& info,
                               std::size_t max_sessions_listed = kMaxListedSessions);
std::string render_status(const nlohmann::json& document);

// The periodic usage log (seed 001): one line per IPv6 /32 and per
// unmapped IPv4 /24 active in the interval, busiest first, at most
// `max_lines` of each, then one line for the rest. Empty if nothing moved.
std::vector<std::string> usage_log_lines(const Translator::UsageInterval& interval, std::size_t max_lines = 100);

}  // namespace gn::nat64
