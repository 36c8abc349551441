// libFuzzer target for RFC 7050 prefix discovery: any set of AAAA answers
// (16 bytes each). It either throws the one documented error or returns
// prefixes, each once, that embed a well-known address found in an answer.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "net/nat64_discovery.hpp"

using namespace gn;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<net::IpAddress> answers;
  for (std::size_t off = 0; off + 16 <= size && answers.size() < 64; off += 16) {
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), data + off, 16);
    answers.push_back(net::IpAddress::v6(b));
  }
  std::vector<net::Nat64Prefix> found;
  try {
    found = net::prefixes_from_synthesis(answers);
  } catch (const std::runtime_error&) {
    return 0;
  }
  if (found.empty()) std::abort();  // an empty result is an error, never a return
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (std::count(found.begin(), found.end(), found[i]) != 1) std::abort();
    // Some answer lies in it and carries 192.0.0.170 or .171 there.
    const bool backed = std::any_of(answers.begin(), answers.end(), [&](const net::IpAddress& a) {
      auto v4 = found[i].extract(a);
      if (!v4) return false;
      const auto b = v4->v4_bytes();
      return b[0] == 192 && b[1] == 0 && b[2] == 0 && (b[3] == 170 || b[3] == 171);
    });
    if (!backed) std::abort();
  }
  return 0;
}
