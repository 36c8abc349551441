#pragma once
// What an endpoint command is (its mode) and its path timing: settings the
// command line chooses and the control layer runs with. Here, below both, so
// the configuration does not depend on the control layer; control/path.hpp
// names them control::Mode and control::Timing.
#include <chrono>
#include <cstdint>
#include <string_view>

namespace gn::config {

enum class Mode : std::uint8_t { kSymmetric, kServer, kClient, kAuto };
std::string_view to_string(Mode m);

struct Timing {
  std::chrono::milliseconds keepalive{5000};
  std::chrono::milliseconds reply_timeout{1000};
  unsigned dead_after = 3;  // consecutive missed replies
  unsigned challenges_per_second = 10;
};

}  // namespace gn::config
