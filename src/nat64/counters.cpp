#include "nat64/counters.hpp"

namespace gn::nat64 {
namespace {

constexpr std::array<std::string_view, kCounterCount> kNames = {
#define GN_NAT64_NAME(name, help) #name,
    GN_NAT64_COUNTERS(GN_NAT64_NAME)
#undef GN_NAT64_NAME
};
constexpr std::array<std::string_view, kCounterCount> kHelp = {
#define GN_NAT64_HELP(name, help) help,
    GN_NAT64_COUNTERS(GN_NAT64_HELP)
#undef GN_NAT64_HELP
};

}  // namespace

std::string_view counter_name(Counter c) { return kNames.at(static_cast<std::size_t>(c)); }
std::string_view counter_help(Counter c) { return kHelp.at(static_cast<std::size_t>(c)); }

std::uint64_t Counters::packets() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kFateCount; ++i) n += values_[i];
  return n;
}

}  // namespace gn::nat64
