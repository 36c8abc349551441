#include "util/options.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "util/error.hpp"

namespace gn {

Option values(std::string name, std::size_t count, std::string metavar, std::string help,
              std::function<void(const std::vector<std::string>&)> fn) {
  Option o;
  o.name = std::move(name);
  o.values = count;
  o.metavar = std::move(metavar);
  o.help = std::move(help);
  o.handler = std::move(fn);
  return o;
}

Option flag(std::string name, std::string help, std::function<void()> fn) {
  Option o =
      values(std::move(name), 0, "", std::move(help), [fn = std::move(fn)](const std::vector<std::string>&) { fn(); });
  o.file = FileValue::kFlag;
  return o;
}

Option value(std::string name, std::string metavar, std::string help, std::function<void(const std::string&)> fn) {
  Option o = values(std::move(name), 1, std::move(metavar), std::move(help),
                    [fn = std::move(fn)](const std::vector<std::string>& v) { fn(v[0]); });
  o.file = FileValue::kString;
  return o;
}

std::string file_key(const Option& o) {
  std::string key = o.name;
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

std::string option_name(std::string_view key) {
  std::string name(key);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

Option help_flag(std::function<void()> fn) {
  Option o = flag("help", "show this help and exit", std::move(fn)).not_in_file();
  o.short_name = 'h';
  return o;
}

const std::vector<std::string>* ScannedArgs::last(const std::string& name) const {
  const std::vector<std::string>* found = nullptr;
  for (const auto& use : options)
    if (use.option->name == name) found = &use.values;
  return found;
}

OptionParser::OptionParser(std::vector<Option> table) {
  for (auto& o : table) add(std::move(o));
}

void OptionParser::add(Option option) {
  // A programming error, not a usage error: two entries for one name.
  if (find_long(option.name) || (option.short_name && find_short(option.short_name)))
    throw std::logic_error("option table: '--" + option.name + "' twice");
  table_.push_back(std::move(option));
}

const Option* OptionParser::find_long(const std::string& name) const {
  auto it = std::find_if(table_.begin(), table_.end(), [&](const Option& o) { return o.name == name; });
  return it == table_.end() ? nullptr : &*it;
}

const Option* OptionParser::find_key(const std::string& key) const {
  auto it = std::find_if(table_.begin(), table_.end(),
                         [&](const Option& o) { return o.file != FileValue::kNone && file_key(o) == key; });
  return it == table_.end() ? nullptr : &*it;
}

const Option* OptionParser::find_short(char c) const {
  auto it = std::find_if(table_.begin(), table_.end(), [&](const Option& o) { return o.short_name == c; });
  return it == table_.end() ? nullptr : &*it;
}

namespace {

bool is_negative_number(const std::string& a) {
  return a.size() > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9';
}

}  // namespace

std::vector<std::string> OptionParser::parse(const std::vector<std::string>& args) const {
  return apply(scan(args));
}

std::vector<std::string> OptionParser::apply(const ScannedArgs& scanned) const {
  std::set<const Option*> reset;
  for (const auto& use : scanned.options) {
    if (use.option->reset && reset.insert(use.option).second) use.option->reset();
    try {
      use.option->handler(use.values);
    } catch (const UsageError& e) {
      // Name the flag, as the file's errors name the key.
      const std::string flag = "--" + use.option->name;
      if (std::string_view(e.what()).starts_with(flag)) throw;
      throw UsageError(flag + ": " + e.what());
    }
  }
  return scanned.positional;
}

ScannedArgs OptionParser::scan(const std::vector<std::string>& args) const {
  ScannedArgs scanned;
  std::vector<std::string>& positional = scanned.positional;
  std::set<const Option*> seen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    const Option* o = nullptr;
    std::string spelled;  // as the user wrote it, for messages
    std::optional<std::string> attached;
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      auto eq = a.find('=');
      spelled = a.substr(0, eq);
      if (eq != std::string::npos) attached = a.substr(eq + 1);
      o = find_long(spelled.substr(2));
    } else if (a.size() > 1 && a[0] == '-' && !is_negative_number(a)) {
      spelled = a;
      if (a.size() == 2) o = find_short(a[1]);
    } else {
      positional.push_back(a);
      continue;
    }
    if (!o) throw UsageError("unknown option '" + spelled + "' (see --help)");
    std::vector<std::string> values;
    if (o->values == 0) {
      if (attached) throw UsageError("option '" + spelled + "' takes no value");
    } else if (attached) {
      if (o->values != 1)
        throw UsageError("option '" + spelled + "' takes " + std::to_string(o->values) + " values: " + spelled + " " +
                         o->metavar);
      values.push_back(*attached);
    } else {
      if (args.size() - i - 1 < o->values) {
        if (o->values == 1) throw UsageError("option '" + spelled + "' needs a value");
        throw UsageError("option '" + spelled + "' needs " + std::to_string(o->values) + " values: " + spelled + " " +
                         o->metavar);
      }
      values.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                    args.begin() + static_cast<std::ptrdiff_t>(i + 1 + o->values));
      i += o->values;
    }
    if (o->once && !seen.insert(o).second) throw UsageError("option '--" + o->name + "' given twice");
    scanned.options.push_back({o, std::move(values)});
  }
  return scanned;
}

namespace {

// Appends `text` word-wrapped into columns [indent, width), the first line
// continuing at column `at`. A '\n' in the text starts a new line.
void wrap(std::string& out, const std::string& text, std::size_t at, std::size_t indent, std::size_t width) {
  std::size_t col = at;
  bool line_empty = true;
  std::istringstream lines(text);
  std::string line;
  bool first_line = true;
  while (std::getline(lines, line)) {
    if (!first_line) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
      line_empty = true;
    }
    first_line = false;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      if (!line_empty && col + 1 + word.size() > width) {
        out += "\n" + std::string(indent, ' ');
        col = indent;
        line_empty = true;
      }
      if (!line_empty) {
        out += ' ';
        ++col;
      }
      out += word;
      col += word.size();
      line_empty = false;
    }
  }
  out += '\n';
}

std::string label_of(const Option& o) {
  std::string l = o.short_name ? std::string("-") + o.short_name + ", --" + o.name : "--" + o.name;
  if (!o.metavar.empty()) l += " " + o.metavar;
  return l;
}

}  // namespace

std::string OptionParser::help(std::size_t width) const {
  constexpr std::size_t kIndent = 2, kGap = 2, kMaxColumn = 30;
  std::size_t column = 0;
  for (const auto& o : table_) column = std::max(column, kIndent + label_of(o).size() + kGap);
  column = std::min(column, kMaxColumn);
  std::string out;
  for (const auto& o : table_) {
    std::string l = std::string(kIndent, ' ') + label_of(o);
    out += l;
    if (l.size() + kGap > column) {
      out += "\n" + std::string(column, ' ');
    } else {
      out += std::string(column - l.size(), ' ');
    }
    wrap(out, o.help, column, column, width);
  }
  return out;
}

}  // namespace gn
