#include "util/log.hpp"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace gn::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};

const char* name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warning";
    case Level::kError: return "error";
  }
  return "?";
}

}  // namespace

void set_level(Level level) {
  g_level = level;
}
Level level() {
  return g_level;
}

bool parse_level(std::string_view text, Level& out) {
  for (Level candidate : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == name(candidate) || (candidate == Level::kWarn && text == "warn")) {
      out = candidate;
      return true;
    }
  }
  return false;
}

std::string timestamp(bool microseconds) {
  timeval now{};
  gettimeofday(&now, nullptr);
  tm local{};
  localtime_r(&now.tv_sec, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
  if (microseconds) return fmt::format("{}.{:06}", stamp, now.tv_usec);
  return fmt::format("{}.{:03}", stamp, now.tv_usec / 1000);
}

void write(Level level, std::string_view message) {
  // The journal timestamps lines itself; a terminal or a file gets our stamp.
  static const bool under_journal = std::getenv("JOURNAL_STREAM") != nullptr;
  std::string line;
  if (!under_journal) line = timestamp(false) + " ";
  line += fmt::format("{}: {}\n", name(level), message);
  // One write(2) per line so lines from concurrent processes never interleave.
  [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace gn::log
