#include "util/sodium.hpp"

#include <sodium.h>

#include <stdexcept>

namespace gn {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace gn
