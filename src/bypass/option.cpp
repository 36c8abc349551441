#include "bypass/option.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace gn::bypass {

Found find_option(std::span<const std::uint8_t> options) {
  Found f;
  geneve::for_each_option(options, [&](const geneve::OptionView& o) {
    if (o.option_class != kOptionClass || o.type != kOptionType) return;
    if (f.count++ == 0) f.data = o.data;
  });
  return f;
}

geneve::HeaderBuilder header(std::uint32_t vni, bool with_option, std::string_view message) {
  geneve::HeaderBuilder h(vni);
  if (!with_option) return h;
  std::size_t n = std::min(message.size(), kMaxMessageLen);
  // Do not cut a UTF-8 sequence: back off over continuation bytes.
  while (n < message.size() && n > 0 && (static_cast<std::uint8_t>(message[n]) & 0xc0) == 0x80) --n;
  h.add_option(kOptionClass, kOptionType, {reinterpret_cast<const std::uint8_t*>(message.data()), n});
  return h;
}

std::string log_message(std::span<const std::uint8_t> data) {
  std::size_t n = data.size();
  while (n > 0 && data[n - 1] == 0xff) --n;
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t c = data[i];
    if (c >= 0x20 && c < 0x7f && c != '\\')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

}  // namespace gn::bypass
