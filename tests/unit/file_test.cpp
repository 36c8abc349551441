// read_file: whole files, errors that name the file, the size cap, and /proc
// files (which report size 0).
#include "util/file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "temp_file.hpp"
#include "util/error.hpp"

namespace gn {
namespace {

using testing::TempFile;

TEST(ReadFile, WholeFile) {
  std::string text(10000, 'k');
  text += "\nend\n";
  TempFile f(text);
  EXPECT_EQ(read_file(f.path(), "test file"), text);
  EXPECT_EQ(read_file(f.path(), "test file", text.size()), text);  // the cap is inclusive
}

TEST(ReadFile, MissingFileNamesThePath) {
  try {
    read_file("/nonexistent/dir/key", "key file");
    FAIL() << "read a missing file";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.code(), ENOENT);
    EXPECT_EQ(std::string(e.what()), "cannot read key file /nonexistent/dir/key: No such file or directory");
  }
}

TEST(ReadFile, LargerThanTheCap) {
  TempFile f(std::string(5000, 'x'));
  try {
    read_file(f.path(), "key file", 4096);
    FAIL() << "read past the cap";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.code(), EFBIG);
    EXPECT_NE(std::string(e.what()).find(f.path()), std::string::npos) << e.what();
  }
}

TEST(ReadFile, ADirectoryIsAnError) {
  EXPECT_THROW(read_file("/tmp", "config file"), SystemError);
}

TEST(ReadFile, ProcFilesThatReportSizeZero) {
  std::string stat = read_file("/proc/self/stat", "process status");
  EXPECT_NE(stat.find(std::to_string(::getpid()) + " ("), std::string::npos) << stat;
}

TEST(ReadUserFile, FailureIsAUsageErrorWithTheSameMessage) {
  try {
    read_user_file("/nonexistent/gw.json", "config file");
    FAIL() << "read a missing file";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read config file /nonexistent/gw.json: No such file or directory");
  }
}

}  // namespace
}  // namespace gn
