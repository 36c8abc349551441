#pragma once
// A command's --config file: a JSON object whose keys are the command's long
// options ('_' for '-', util/options.hpp), read through the same option
// table as the command line, so a file can say nothing a flag cannot and the
// two cannot drift apart. A command adds the keys that are not options (its
// positional arguments "vni", "local", ...; a server's "clients") as
// FileKeys. Every file may name its command in "mode" (geneve-ctl up reads
// it). Errors are UsageError "PATH: what" with the JSON path of the bad
// value (".clients[2].allowed_ips: expected an array of strings, got
// string"); the command puts "config FILE: " in front.
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/file.hpp"
#include "util/options.hpp"

namespace gn {

// A key that is not an option. `apply` gets the value and its path (".vni").
struct FileKey {
  std::string key;
  std::function<void(const nlohmann::json& value, const std::string& path)> apply;
};

// The file's parsed JSON. UsageError "config FILE: ..." when it cannot be
// read, is not JSON or is not an object.
nlohmann::json read_config_file(const std::string& file, std::size_t max_size = kMaxReadFileSize);

// Applies each key of `doc` (in key order: no key depends on another's)
// through the option of that key (its handler, as if given as a flag) or
// the FileKey of that name. "mode", when present, must be `command`. Unknown keys and values of
// the wrong JSON type are errors.
void apply_config(const nlohmann::json& doc, const OptionParser& options, const std::vector<FileKey>& extra,
                  const std::string& command);

// The options a daemon's table ends with (gateway, geneve-bypass,
// geneve-nat64-health): --config FILE (at most once, not a key; `lists`
// names its list keys for --help), --check-config (runs `check`), -h/--help
// and --version (parse_daemon_args reports those).
void add_daemon_options(OptionParser& p, const std::string& command, const std::string& lists,
                        std::function<void()> check);

// What a daemon's command line asks for, read through `options` (whose
// handlers write the settings): kHelp or kVersion when given (nothing else
// is applied); else kRun, with the --config file applied ("config FILE:
// PATH: what") and then the flags over it. Positional arguments are an
// error.
enum class DaemonArgs { kRun, kHelp, kVersion };
DaemonArgs parse_daemon_args(const OptionParser& options, const std::vector<std::string>& args,
                             const std::string& command);

// A subcommand's arguments (args[0] is its name, e.g. "status") through
// `options`: no positional argument; errors get "NAME: " in front.
void parse_subcommand(const OptionParser& options, const std::vector<std::string>& args);

// JSON shape checks for FileKeys and the objects inside them; each throws
// UsageError "PATH: expected ..., got TYPE".
const nlohmann::json& expect_object(const nlohmann::json& v, const std::string& path);
std::string expect_string(const nlohmann::json& v, const std::string& path);
// A non-negative integer as decimal text, or a string as it is ("0x0162"),
// for the value parsers that read both.
std::string expect_number(const nlohmann::json& v, const std::string& path);
bool expect_bool(const nlohmann::json& v, const std::string& path);
// Calls fn(element, element_path) for each string of an array.
void for_each_string(const nlohmann::json& v, const std::string& path,
                     const std::function<void(const std::string&, const std::string&)>& fn);
// Rejects a key of `object` not in `known`: "PATH.key: unknown key
// (expected a, b, c)".
void check_keys(const nlohmann::json& object, std::initializer_list<const char*> known, const std::string& path);
// Runs fn; a UsageError without a path (from a value parser: "MTU '9'
// ...") gets "PATH: " in front, one that already starts with PATH passes.
void at_path(const std::string& path, const std::function<void()>& fn);

}  // namespace gn
