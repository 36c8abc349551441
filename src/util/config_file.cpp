#include "util/config_file.hpp"

#include <algorithm>
#include <set>

#include "util/error.hpp"

namespace gn {
namespace {

[[noreturn]] void wrong_type(const nlohmann::json& v, const std::string& path, const std::string& expected) {
  throw UsageError(path + ": expected " + expected + ", got " + v.type_name());
}

// An option's value from the file, checked against the option's FileValue,
// and run through its handler as the command line would.
void apply_option(const Option& o, const nlohmann::json& v, const std::string& path) {
  switch (o.file) {
    case FileValue::kNone: break;  // find_key() never returns these
    case FileValue::kFlag:
      if (expect_bool(v, path)) at_path(path, [&] { o.handler({}); });
      break;
    case FileValue::kString: {
      std::string text = expect_string(v, path);
      at_path(path, [&] { o.handler({text}); });
      break;
    }
    case FileValue::kNumber: {
      std::string text = expect_number(v, path);
      at_path(path, [&] { o.handler({text}); });
      break;
    }
    case FileValue::kList:
      if (!v.is_array()) wrong_type(v, path, "an array of strings");
      if (o.reset) o.reset();
      for_each_string(v, path, [&](const std::string& text, const std::string& element_path) {
        at_path(element_path, [&] { o.handler({text}); });
      });
      break;
  }
}

}  // namespace

nlohmann::json read_config_file(const std::string& file, std::size_t max_size) {
  std::string text = read_user_file(file, "config file", max_size);
  // JSON allows a key twice and nlohmann keeps the last: refused instead,
  // since one of the two values would be ignored without a word.
  std::vector<std::set<std::string>> open_objects;
  auto no_duplicates = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Event::key && !open_objects.empty() && !open_objects.back().insert(parsed.get<std::string>()).second)
      throw UsageError("config " + file + ": key '" + parsed.get<std::string>() + "' given twice in one object");
    return true;
  };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text, no_duplicates);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError("config " + file + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw UsageError("config " + file + ": expected a JSON object, got " + doc.type_name());
  return doc;
}

void apply_config(const nlohmann::json& doc, const OptionParser& options, const std::vector<FileKey>& extra,
                  const std::string& command) {
  expect_object(doc, ".");
  for (const auto& item : doc.items()) {
    const std::string& key = item.key();
    const std::string path = "." + key;
    if (key == "mode") {
      std::string mode = expect_string(item.value(), path);
      if (mode != command) throw UsageError(path + ": this file is for " + mode + ", not " + command);
      continue;
    }
    if (const Option* o = options.find_key(key)) {
      apply_option(*o, item.value(), path);
      continue;
    }
    auto it = std::find_if(extra.begin(), extra.end(), [&](const FileKey& k) { return k.key == key; });
    if (it == extra.end())
      throw UsageError(path + ": unknown key (the keys are " + command +
                       "'s long options with '_' for '-', see --help)");
    at_path(path, [&] { it->apply(item.value(), path); });
  }
}

const nlohmann::json& expect_object(const nlohmann::json& v, const std::string& path) {
  if (!v.is_object()) wrong_type(v, path, "an object");
  return v;
}

std::string expect_string(const nlohmann::json& v, const std::string& path) {
  if (!v.is_string()) wrong_type(v, path, "a string");
  return v.get<std::string>();
}

std::string expect_number(const nlohmann::json& v, const std::string& path) {
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_string()) return v.get<std::string>();
  wrong_type(v, path, "a non-negative integer");
}

bool expect_bool(const nlohmann::json& v, const std::string& path) {
  if (!v.is_boolean()) wrong_type(v, path, "true or false");
  return v.get<bool>();
}

void for_each_string(const nlohmann::json& v, const std::string& path,
                     const std::function<void(const std::string&, const std::string&)>& fn) {
  if (!v.is_array()) wrong_type(v, path, "an array of strings");
  std::size_t index = 0;
  for (const auto& element : v) {
    const std::string element_path = path + "[" + std::to_string(index++) + "]";
    fn(expect_string(element, element_path), element_path);
  }
}

void check_keys(const nlohmann::json& object, std::initializer_list<const char*> known, const std::string& path) {
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      throw UsageError(path + "." + key + ": unknown key (expected " + list + ")");
    }
  }
}

void at_path(const std::string& path, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    std::string what = e.what();
    if (what.rfind(path, 0) == 0) throw;
    throw UsageError(path + ": " + what);
  }
}

void add_daemon_options(OptionParser& p, const std::string& command, const std::string& lists,
                        std::function<void()> check) {
  p.add(value("config", "FILE",
              "JSON object with the keys above (" + lists + R"() and optionally "mode": ")" + command +
                  R"("; flags override it)",
              [](const std::string&) {})
            .only_once()
            .not_in_file());
  p.add(flag("check-config", "check the flags and --config file, print the settings as JSON and exit (creates nothing)",
             std::move(check))
            .not_in_file());
  p.add(help_flag([] {}));
  p.add(flag("version", "show the version and exit", [] {}).not_in_file());
}

DaemonArgs parse_daemon_args(const OptionParser& options, const std::vector<std::string>& args,
                             const std::string& command) {
  const ScannedArgs scanned = options.scan(args);
  if (scanned.last("help")) return DaemonArgs::kHelp;
  if (scanned.last("version")) return DaemonArgs::kVersion;
  if (!scanned.positional.empty()) throw UsageError("unexpected argument '" + scanned.positional[0] + "' (see --help)");
  if (const auto* file = scanned.last("config")) {
    const std::string& name = file->front();
    const nlohmann::json doc = read_config_file(name);
    try {
      apply_config(doc, options, {}, command);
    } catch (const UsageError& e) {
      throw UsageError("config " + name + ": " + e.what());
    }
  }
  options.apply(scanned);
  return DaemonArgs::kRun;
}

void parse_subcommand(const OptionParser& options, const std::vector<std::string>& args) {
  try {
    auto positional = options.parse({args.begin() + 1, args.end()});
    if (!positional.empty()) throw UsageError("unexpected argument '" + positional[0] + "' (see --help)");
  } catch (const UsageError& e) {
    throw UsageError(args.front() + ": " + e.what());
  }
}

}  // namespace gn
