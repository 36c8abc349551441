#include "dataplane/counters.hpp"

#include <nlohmann/json.hpp>

namespace gn::dataplane {

std::string_view to_string(Drop d) {
  switch (d) {
    case Drop::kTruncated: return "truncated";
    case Drop::kBadVersion: return "bad_version";
    case Drop::kOptionsTruncated: return "options_truncated";
    case Drop::kOptionOverrun: return "option_overrun";
    case Drop::kUnknownCritical: return "unknown_critical_option";
    case Drop::kWrongVni: return "wrong_vni";
    case Drop::kWrongProtocol: return "wrong_protocol";
    case Drop::kUnknownSource: return "unknown_source";
    case Drop::kRouteForeign: return "route_option_foreign";
    case Drop::kRuntFrame: return "runt_frame";
    case Drop::kNoPath: return "no_path";
    case Drop::kControlMalformed: return "control_malformed";
    case Drop::kControlUnknownPeer: return "control_unknown_peer";
    case Drop::kControlUnauthenticated: return "control_unauthenticated";
    case Drop::kControlBadMac: return "control_bad_mac";
    case Drop::kControlReplay: return "control_replay";
    case Drop::kControlStale: return "control_stale";
    case Drop::kTooBig: return "too_big";
    case Drop::kSendError: return "send_error";
    case Drop::kTapWriteError: return "tap_write_error";
    case Drop::kBadOffload: return "bad_offload";
    case Drop::kControlQueueFull: return "control_queue_full";
    case Drop::kSourceNotAllowed: return "source_not_allowed";
    case Drop::kNoPeer: return "no_peer";
    case Drop::kCount: break;
  }
  return "?";
}

nlohmann::json to_json(const Counters& c, std::chrono::steady_clock::time_point now) {
  nlohmann::json drops = nlohmann::json::object();
  for (std::size_t i = 0; i < c.drops.size(); ++i) drops[std::string(to_string(static_cast<Drop>(i)))] = c.drops[i];
  nlohmann::json j = {
      {"rx_packets", c.rx_packets},           {"rx_bytes", c.rx_bytes},
      {"tx_packets", c.tx_packets},           {"tx_bytes", c.tx_bytes},
      {"rx_route_option", c.rx_route_option}, {"drops", drops},
  };
  if (c.last_rx == std::chrono::steady_clock::time_point{}) {
    j["last_rx_seconds_ago"] = nullptr;
  } else {
    j["last_rx_seconds_ago"] = std::chrono::duration<double>(now - c.last_rx).count();
  }
  return j;
}

}  // namespace gn::dataplane
