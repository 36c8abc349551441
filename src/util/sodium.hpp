#pragma once
// libsodium must be initialised once before its first use; every user of
// its CSPRNG or hashes calls this first (cheap after the first call).

namespace gn {

// Throws std::runtime_error if libsodium cannot be initialised.
void ensure_sodium();

}  // namespace gn
