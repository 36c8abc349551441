// server_table: installs the server's nftables table (netlink::ServerTable,
// netlink/nft_server.hpp) and changes its elements on command, for
// tests/lab/server_table.sh. The table lives as long as this process (owner
// flag). Prints "ready" once it is installed, then reads one command a line
// from stdin and answers each with one line:
//
//   set MARK ADDR PORT    -> ok | error: ...
//   remove MARK ADDR      -> ok | error: ...
//   drops                 -> drops N
//   probe NAME            -> missing none | missing PIECE | error: ...
//                            (netlink::missing_server_table_piece with a
//                            scratch table NAME)
//
// End of input ends the process (and the table). Exit: 0 done, 2 bad usage,
// 3 kernel unsupported, 1 any other failure.
#include <linux/netlink.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/values.hpp"
#include "netlink/nft_server.hpp"
#include "util/error.hpp"
#include "util/options.hpp"

namespace {

using namespace gn;

std::string run_command(netlink::ServerTable& table, netlink::MnlSocket& probes, const std::string& line) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  try {
    if (verb == "drops") return "drops " + std::to_string(table.unmapped_drops());
    if (verb == "probe") {
      std::string scratch;
      in >> scratch;
      return "missing " + netlink::missing_server_table_piece(probes, scratch).value_or("none");
    }
    std::string mark, addr, port;
    in >> mark >> addr >> port;
    const std::uint32_t m = config::parse_uint("mark", mark, 0, 0xffffffff);
    const net::IpAddress a = config::parse_address("address", addr, std::nullopt);
    if (verb == "set") {
      table.set_port(m, a, config::parse_port("port", port));
    } else if (verb == "remove") {
      table.remove_port(m, a);
    } else {
      return "error: unknown command '" + verb + "'";
    }
    return "ok";
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  netlink::ServerTableSpec spec;
  spec.table = "geneve_nat64_srvtest";
  spec.comment = "server_table test tool";
  gn::OptionParser options({
      gn::value("table", "NAME", "table name (default geneve_nat64_srvtest)",
                [&](const std::string& v) { spec.table = v; }),
      gn::value("port", "P", "the device's port (default 6081)",
                [&](const std::string& v) { spec.port = config::parse_port("--port", v); }),
      gn::value("source-port", "P", "source port written (default 6081)",
                [&](const std::string& v) { spec.source_port = config::parse_port("--source-port", v); }),
      gn::flag("no-pin-source-port", "leave the source port alone", [&] { spec.pin_source_port = false; }),
      gn::value("mark-tag", "TAG", "mark tag (default 0x474e0000)",
                [&](const std::string& v) { spec.mark_tag = config::parse_uint("--mark-tag", v, 0, 0xffffffff); }),
      gn::value("mark-mask", "MASK", "mark mask (default 0xffff0000)",
                [&](const std::string& v) { spec.mark_mask = config::parse_uint("--mark-mask", v, 0, 0xffffffff); }),
      gn::value("group", "G", "NFLOG group of the control capture (default 0)",
                [&](const std::string& v) { spec.capture.group = config::parse_port("--group", v); }),
  });
  try {
    options.parse(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "server_table: %s\n", e.what());
    return 2;
  }
  try {
    netlink::ServerTable table(spec);
    netlink::MnlSocket probes(NETLINK_NETFILTER);
    std::cout << "ready" << std::endl;
    for (std::string line; std::getline(std::cin, line);) {
      if (line.empty()) continue;
      std::cout << run_command(table, probes, line) << std::endl;
    }
    return 0;
  } catch (const netlink::KernelUnsupported& e) {
    std::fprintf(stderr, "server_table: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "server_table: %s\n", e.what());
    return 1;
  }
}
