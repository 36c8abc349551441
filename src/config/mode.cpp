#include "config/mode.hpp"

namespace gn::config {

std::string_view to_string(Mode m) {
  switch (m) {
    case Mode::kSymmetric: return "symmetric";
    case Mode::kServer: return "server";
    case Mode::kClient: return "client";
    case Mode::kAuto: return "auto";
  }
  return "?";
}

}  // namespace gn::config
