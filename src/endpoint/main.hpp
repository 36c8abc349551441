#pragma once
// The shared body of every endpoint command's main(): parse, report usage
// errors as one line with exit status 2 (--check-config: print the settings
// and exit 0), run until a signal, exit 0.
#include <string>
#include <vector>

#include "config/cli.hpp"

namespace gn::endpoint {

using ParseFn = config::ParseResult (*)(const std::vector<std::string>&);
using UsageFn = std::string (*)();

int endpoint_main(int argc, char** argv, const char* command, ParseFn parse, UsageFn usage);

}  // namespace gn::endpoint
