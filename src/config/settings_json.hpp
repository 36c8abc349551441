#pragma once
// An endpoint's effective settings as a JSON object with the keys of its
// --config file, for --check-config: what the command would run with after
// the file and the flags, written so that the output is itself a valid
// --config file for the same command (settings left to be computed at
// start, such as the MTU or the status socket name, are absent).
#include <nlohmann/json.hpp>

#include "config/cli.hpp"

namespace gn::config {

nlohmann::ordered_json settings_json(const EndpointConfig& c);

}  // namespace gn::config
