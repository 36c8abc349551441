// The one option parser: accepted spellings, positional order, the one-line
// errors every command prints, and --help written from the table.
#include "util/options.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace gn {
namespace {

using Args = std::vector<std::string>;

struct Seen {
  std::vector<std::string> names;
  std::vector<std::string> routes;
  bool verbose = false;
  bool help = false;
  int config_count = 0;
};

OptionParser table(Seen& s) {
  Option help = flag("help", "show this help and exit", [&] { s.help = true; });
  help.short_name = 'h';
  return OptionParser({
      value("name", "NAME", "a name; a later one overrides", [&](const std::string& v) { s.names.push_back(v); }),
      flag("verbose", "say more", [&] { s.verbose = true; }),
      values("route", 2, "ADDR PORT", "a route", [&](const Args& v) { s.routes.push_back(v[0] + "/" + v[1]); }),
      value("config", "FILE", "one file", [&](const std::string&) { ++s.config_count; }).only_once(),
      std::move(help),
  });
}

std::string error_of(const Args& args) {
  Seen s;
  try {
    table(s).parse(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Options, SpellingsAndPositionalOrder) {
  Seen s;
  auto positional = table(s).parse({"a", "--name", "x", "b", "--name=y", "--verbose", "-5", "-", "c"});
  EXPECT_EQ(positional, (Args{"a", "b", "-5", "-", "c"}));  // "-5" is a value, not an option
  EXPECT_EQ(s.names, (Args{"x", "y"}));
  EXPECT_TRUE(s.verbose);
}

TEST(Options, ValueMayLookLikeAnOption) {
  Seen s;
  table(s).parse({"--name", "--verbose"});
  EXPECT_EQ(s.names, Args{"--verbose"});
  EXPECT_FALSE(s.verbose);
  Seen t;
  table(t).parse({"--name="});
  EXPECT_EQ(t.names, Args{""});
}

TEST(Options, DoubleDashEndsOptions) {
  Seen s;
  auto positional = table(s).parse({"--verbose", "--", "--name", "-h"});
  EXPECT_EQ(positional, (Args{"--name", "-h"}));
  EXPECT_TRUE(s.names.empty());
  EXPECT_FALSE(s.help);
}

TEST(Options, ShortName) {
  Seen s;
  table(s).parse({"-h"});
  EXPECT_TRUE(s.help);
}

TEST(Options, SeveralValues) {
  Seen s;
  auto positional = table(s).parse({"--route", "2001:db8::1", "6081", "p", "--route", "::1", "7"});
  EXPECT_EQ(s.routes, (Args{"2001:db8::1/6081", "::1/7"}));
  EXPECT_EQ(positional, Args{"p"});
}

TEST(Options, OneLineErrors) {
  EXPECT_EQ(error_of({"--bogus"}), "unknown option '--bogus' (see --help)");
  EXPECT_EQ(error_of({"--bogus=1"}), "unknown option '--bogus' (see --help)");
  EXPECT_EQ(error_of({"-x"}), "unknown option '-x' (see --help)");
  EXPECT_EQ(error_of({"-hh"}), "unknown option '-hh' (see --help)");
  EXPECT_EQ(error_of({"--name"}), "option '--name' needs a value");
  EXPECT_EQ(error_of({"--verbose=yes"}), "option '--verbose' takes no value");
  EXPECT_EQ(error_of({"--route", "::1"}), "option '--route' needs 2 values: --route ADDR PORT");
  EXPECT_EQ(error_of({"--route=::1", "7"}), "option '--route' takes 2 values: --route ADDR PORT");
  EXPECT_EQ(error_of({"--config", "a", "--config=b"}), "option '--config' given twice");
  EXPECT_EQ(error_of({"--name", "a", "--name", "b", "--verbose", "--verbose"}), "accepted");
}

TEST(Options, HandlerErrorsNameTheFlag) {
  OptionParser p({value("mtu", "N", "", [](const std::string& v) { throw UsageError("MTU '" + v + "' is bad"); }),
                  value("vni", "N", "", [](const std::string&) { throw UsageError("--vni: too big"); })});
  const auto error_of = [&p](const std::vector<std::string>& args) {
    try {
      p.parse(args);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error_of({"--mtu", "1"}), "--mtu: MTU '1' is bad");
  // One that names the flag already is not named twice.
  EXPECT_EQ(error_of({"--vni", "1"}), "--vni: too big");
}

TEST(Options, ScanRunsNoHandlerApplyResetsLists) {
  std::vector<std::string> list = {"from-file"};
  int runs = 0;
  OptionParser p(
      {value("address", "A", "", [&](const std::string& v) { list.push_back(v); }).list([&] { list.clear(); }),
       value("mtu", "N", "", [&](const std::string&) { ++runs; }).number()});
  ScannedArgs scanned = p.scan({"--address", "a", "pos", "--mtu", "1", "--address=b"});
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(list, std::vector<std::string>{"from-file"});
  ASSERT_NE(scanned.last("address"), nullptr);
  EXPECT_EQ(*scanned.last("address"), std::vector<std::string>{"b"});
  EXPECT_EQ(scanned.last("port"), nullptr);
  EXPECT_EQ(p.apply(scanned), std::vector<std::string>{"pos"});
  EXPECT_EQ(runs, 1);
  // The flags' list replaced the one before them (the file's).
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  // Keys: the long name with '_'; options not in files have none.
  OptionParser keys({value("source-port", "N", "", [](const std::string&) {}).number(),
                     value("config", "FILE", "", [](const std::string&) {}).not_in_file(),
                     flag("no-offload", "", [] {})});
  ASSERT_NE(keys.find_key("source_port"), nullptr);
  EXPECT_EQ(keys.find_key("source_port")->file, FileValue::kNumber);
  EXPECT_EQ(keys.find_key("source-port"), nullptr);
  EXPECT_EQ(keys.find_key("config"), nullptr);
  EXPECT_EQ(keys.find_key("no_offload")->file, FileValue::kFlag);
}

TEST(Options, ATableNamesAnOptionOnce) {
  auto nothing = [] {};
  EXPECT_THROW(OptionParser({flag("a", "", nothing), flag("a", "", nothing)}), std::logic_error);
}

TEST(Options, HelpFromTheTable) {
  Seen s;
  std::string help = table(s).help(60);
  EXPECT_NE(help.find("  --name NAME "), std::string::npos) << help;
  EXPECT_NE(help.find("  --route ADDR PORT "), std::string::npos) << help;
  EXPECT_NE(help.find("  -h, --help "), std::string::npos) << help;
  std::size_t start = 0;
  while (start < help.size()) {
    std::size_t end = help.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "help ends with a newline";
    EXPECT_LE(end - start, 60u) << help.substr(start, end - start);
    start = end + 1;
  }
  // The help texts start in one column.
  auto column_of = [&](const char* text) {
    std::size_t at = help.find(text);
    return at - (help.rfind('\n', at) + 1);
  };
  EXPECT_EQ(column_of("a name"), column_of("say more"));
  EXPECT_EQ(column_of("a name"), column_of("show this help"));
}

}  // namespace
}  // namespace gn
