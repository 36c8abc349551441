#pragma once
// The gateway's status document (served on the status socket) and its
// human-readable rendering for `geneve-nat64-gateway status`. Pure.
#include <cstddef>
#include <string>

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
};

nlohmann::json status_document(const Translator& translator, const StatusInfo& info,
                               std::size_t max_sessions_listed = kMaxListedSessions);
std::string render_status(const nlohmann::json& document);

}  // namespace gn::nat64
