#pragma once
// Minimal leveled logger to stderr: one line per event, saying what happened
// and why. Timestamps are added unless stderr is the journal (JOURNAL_STREAM),
// which stamps lines itself.
#include <fmt/format.h>
#include <string>
#include <string_view>

namespace gn::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
Level level();
// Parses "debug|info|warn|error"; returns false on an unknown name.
bool parse_level(std::string_view text, Level& out);
void write(Level level, std::string_view message);
// Local time "2019-03-18 10:06:28.436" (or with microseconds ".436754", as
// the NAT64 handoff server's connection log wrote it).
std::string timestamp(bool microseconds);

template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (level() <= Level::kDebug) write(Level::kDebug, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (level() <= Level::kInfo) write(Level::kInfo, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (level() <= Level::kWarn) write(Level::kWarn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::kError, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace gn::log
