#pragma once
// Parsers for the values every command takes (the endpoint commands, the
// gateway, geneve-codec-tool), from flags and from config files alike. Each
// throws UsageError with one line naming what was bad: "<what> '<text>' ...".
#include <cstdint>
#include <optional>
#include <string>

#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "util/log.hpp"

namespace gn::config {

// Decimal, or hexadecimal with 0x.
std::uint32_t parse_uint(const std::string& what, const std::string& text, std::uint32_t min, std::uint32_t max);
std::uint32_t parse_vni(const std::string& text);
std::uint16_t parse_port(const std::string& what, const std::string& text);
net::IpAddress parse_address(const std::string& what, const std::string& text, std::optional<net::Family> family);
// Interface names: 1..15 bytes, no '/', ':' or whitespace (dev_valid_name()).
std::string parse_ifname(const std::string& text);
// A syntactically valid DNS host name (RFC 1123 labels).
bool is_host_name(const std::string& text);
// A file the user names (`what`: "key file"): any path, but not empty.
std::string parse_file_name(const std::string& what, const std::string& text);
// Where status sockets live: an absolute path.
std::string parse_run_dir(const std::string& text);
log::Level parse_log_level(const std::string& text);
// The name parse_log_level reads: "debug", "info", "warn", "error".
const char* log_level_name(log::Level level);
// The NAT64 routing option's class and type; the type must be non-critical
// (docs/protocol.md 3): receivers that do not know the option must still
// accept the packet.
std::uint16_t parse_option_class(const std::string& text);
std::uint8_t parse_option_type(const std::string& text);

}  // namespace gn::config
