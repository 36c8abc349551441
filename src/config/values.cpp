#include "config/values.hpp"

#include <charconv>

#include "util/error.hpp"

namespace gn::config {

std::uint32_t parse_uint(const std::string& what, const std::string& text, std::uint32_t min, std::uint32_t max) {
  std::uint64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    begin += 2;
    base = 16;
  }
  auto [ptr, ec] = std::from_chars(begin, end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max)
    throw UsageError(what + " '" + text + "' is not a number in " + std::to_string(min) + ".." + std::to_string(max));
  return static_cast<std::uint32_t>(value);
}

std::uint32_t parse_vni(const std::string& text) {
  return parse_uint("VNI", text, 0, geneve::kMaxVni);
}

std::uint16_t parse_port(const std::string& what, const std::string& text) {
  return static_cast<std::uint16_t>(parse_uint(what, text, 1, 65535));
}

net::IpAddress parse_address(const std::string& what, const std::string& text, std::optional<net::Family> family) {
  auto a = net::IpAddress::parse(text);
  if (!a) throw UsageError(what + " '" + text + "' is not an IP address");
  if (family && a->family() != *family)
    throw UsageError(what + " '" + text + "' must be an " + (*family == net::Family::kV6 ? "IPv6" : "IPv4") +
                     " address");
  return *a;
}

std::string parse_ifname(const std::string& text) {
  if (text.empty() || text.size() > 15 || text == "." || text == "..")
    throw UsageError("interface name '" + text + "' must be 1..15 characters");
  for (char c : text) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
      throw UsageError("interface name '" + text + "' contains '/', ':' or white space");
  }
  return text;
}

bool is_host_name(const std::string& text) {
  // RFC 1123 labels: letters, digits, hyphens; dots between labels.
  if (text.empty() || text.size() > 253 || text.front() == '.' || text.front() == '-') return false;
  std::size_t label = 0;
  for (char ch : text) {
    if (ch == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
    if (!ok || ++label > 63) return false;
  }
  return true;
}

std::string parse_file_name(const std::string& what, const std::string& text) {
  if (text.empty()) throw UsageError(what + " name is empty");
  return text;
}

std::string parse_run_dir(const std::string& text) {
  if (text.empty() || text[0] != '/') throw UsageError("run directory '" + text + "' must be an absolute path");
  return text;
}

log::Level parse_log_level(const std::string& text) {
  log::Level level{};
  if (!log::parse_level(text, level))
    throw UsageError("log level '" + text + "' is not one of debug, info, warn, error");
  return level;
}

const char* log_level_name(log::Level level) {
  switch (level) {
    case log::Level::kDebug: return "debug";
    case log::Level::kInfo: return "info";
    case log::Level::kWarn: return "warn";
    case log::Level::kError: return "error";
  }
  return "info";
}

std::uint16_t parse_option_class(const std::string& text) {
  return static_cast<std::uint16_t>(parse_uint("option class", text, 0, 0xffff));
}

std::uint8_t parse_option_type(const std::string& text) {
  return static_cast<std::uint8_t>(parse_uint("option type", text, 0, 0x7f));
}

}  // namespace gn::config
