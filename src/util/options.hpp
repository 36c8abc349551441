#pragma once
// The one command-line option parser of every command: a table of options
// (long name, optional short name, how many values, help text, handler).
// Accepts "--name value", "--name=value" (one value), "--name V1 V2" (an
// option with several values), "-h" style short names, and "--" ending the
// options; everything else is a positional argument, kept in order. An
// argument that looks like a negative number ("-5") is positional, so a bad
// VNI is reported as a bad VNI rather than as an unknown option. Errors are
// UsageError, one line naming the option; the command prefixes its name.
//
// A table rather than getopt_long: getopt_long keeps global state (optind),
// prints its own messages in its own words, permutes argv, and cannot take an
// option with two or three values (geneve-codec-tool --route ADDR PORT); the
// table also writes the options part of --help, so the help cannot forget an
// option the parser accepts.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gn {

struct Option {
  std::string name;        // long name, without "--"
  char short_name = 0;     // e.g. 'h' for -h; 0: none
  std::size_t values = 0;  // values that follow: 0 for a flag
  std::string metavar;     // the values in --help: "NAME", "ADDR PORT"
  std::string help;        // one paragraph; --help wraps it
  // Given twice is an error ("option '--config' given twice"): for an option
  // where a second one is surely a mistake, not an override. Otherwise the
  // handler runs each time: a later value overrides (scripts append
  // overrides to a command line), or collects (--address, --allow).
  bool once = false;
  std::function<void(const std::vector<std::string>&)> handler;

  Option&& only_once() && {
    once = true;
    return std::move(*this);
  }
};

// The common shapes.
Option flag(std::string name, std::string help, std::function<void()> fn);
Option value(std::string name, std::string metavar, std::string help, std::function<void(const std::string&)> fn);
// An option followed by `count` values: "--route ADDR PORT".
Option values(std::string name, std::size_t count, std::string metavar, std::string help,
              std::function<void(const std::vector<std::string>&)> fn);

class OptionParser {
 public:
  explicit OptionParser(std::vector<Option> table);
  void add(Option option);

  // args excludes argv[0]. Calls the handlers in the order the options come;
  // returns the positional arguments in order. A handler's UsageError passes
  // through unchanged.
  std::vector<std::string> parse(const std::vector<std::string>& args) const;

  // "  --name METAVAR   help..." lines for every option, help wrapped to
  // `width` columns.
  std::string help(std::size_t width = 79) const;

 private:
  const Option* find_long(const std::string& name) const;
  const Option* find_short(char c) const;
  std::vector<Option> table_;
};

}  // namespace gn
