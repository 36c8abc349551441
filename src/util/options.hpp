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
//
// The same table reads a command's --config file (util/config_file.hpp):
// each option is also a key, its long name with '_' for '-' (--source-port
// is "source_port"), and `file` says which JSON value the key takes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gn {

// How an option is written in a --config file.
enum class FileValue : std::uint8_t {
  kNone,    // not a key (--help, --config itself, multi-value options)
  kFlag,    // true or false; true runs the handler, false leaves the default
  kString,  // a JSON string, given to the handler as the flag's value
  kNumber,  // a non-negative integer, or a string the handler reads ("0x0162")
  kList,    // an array of strings: the handler runs once per element
};

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
  // flag() is kFlag, value() kString, values() kNone.
  FileValue file = FileValue::kNone;
  // A repeatable option (kList) forgets the values given so far: the
  // command line's --address replaces the file's "address" list instead of
  // adding to it, so flags override the file for lists too.
  std::function<void()> reset;

  Option&& only_once() && {
    once = true;
    return std::move(*this);
  }
  Option&& number() && {
    file = FileValue::kNumber;
    return std::move(*this);
  }
  Option&& list(std::function<void()> forget) && {
    file = FileValue::kList;
    reset = std::move(forget);
    return std::move(*this);
  }
  Option&& not_in_file() && {
    file = FileValue::kNone;
    return std::move(*this);
  }
};

// The key of `o` in a config file: its long name with '_' for '-'.
std::string file_key(const Option& o);
// The other way: the long option of a config key ('-' for '_'), for
// commands whose settings table is written in keys.
std::string option_name(std::string_view key);

// -h, --help (not a config key), running `fn`.
Option help_flag(std::function<void()> fn);

// The common shapes.
Option flag(std::string name, std::string help, std::function<void()> fn);
Option value(std::string name, std::string metavar, std::string help, std::function<void(const std::string&)> fn);
// An option followed by `count` values: "--route ADDR PORT".
Option values(std::string name, std::size_t count, std::string metavar, std::string help,
              std::function<void(const std::vector<std::string>&)> fn);

// One option as it appeared on a command line.
struct OptionUse {
  const Option* option;
  std::vector<std::string> values;
};

// A command line split into options and positional arguments, no handler
// run yet: a command reads its --config file between scan() and apply(), so
// that the flags, applied last, override the file.
struct ScannedArgs {
  std::vector<OptionUse> options;
  std::vector<std::string> positional;
  // The values of the option named `name` (long name), the last if it was
  // given more than once; nullptr if it was not given.
  const std::vector<std::string>* last(const std::string& name) const;
};

class OptionParser {
 public:
  explicit OptionParser(std::vector<Option> table);
  void add(Option option);

  // args excludes argv[0]. Calls the handlers in the order the options come;
  // returns the positional arguments in order. A handler's UsageError gets
  // "--name: " in front unless it already starts with "--name". parse() is
  // apply(scan(args)).
  std::vector<std::string> parse(const std::vector<std::string>& args) const;
  // Checks the syntax (unknown options, missing values, given twice) and
  // runs no handler.
  ScannedArgs scan(const std::vector<std::string>& args) const;
  // Runs the handlers of scanned options in order; a repeatable (kList)
  // option's reset runs before its first use. Returns the positional
  // arguments.
  std::vector<std::string> apply(const ScannedArgs& scanned) const;

  // The option whose file key is `key`, or nullptr.
  const Option* find_key(const std::string& key) const;
  const std::vector<Option>& options() const { return table_; }

  // "  --name METAVAR   help..." lines for every option, help wrapped to
  // `width` columns.
  std::string help(std::size_t width = 79) const;

 private:
  const Option* find_long(const std::string& name) const;
  const Option* find_short(char c) const;
  std::vector<Option> table_;
};

}  // namespace gn
