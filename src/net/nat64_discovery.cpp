#include "net/nat64_discovery.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>

namespace gn::net {
namespace {

constexpr int kLengths[] = {96, 64, 56, 48, 40, 32};  // RFC 6052 2.2

bool well_known(const IpAddress& v4) {
  const auto b = v4.v4_bytes();
  return b[0] == 192 && b[1] == 0 && b[2] == 0 && (b[3] == 170 || b[3] == 171);
}

// Where answer `a` holds a well-known address: the prefix of each length
// that has one there. Below /96 the u-octet (bits 64..71) must be zero.
std::vector<Nat64Prefix> positions(const IpAddress& a) {
  std::vector<Nat64Prefix> out;
  if (!a.is_v6()) return out;
  for (int length : kLengths) {
    if (length < 96 && a.bytes()[8] != 0) continue;
    Nat64Prefix p(a, length);
    if (auto v4 = p.extract(a); v4 && well_known(*v4)) out.push_back(p);
  }
  return out;
}

}  // namespace

std::vector<Nat64Prefix> prefixes_from_synthesis(const std::vector<IpAddress>& answers) {
  std::vector<std::vector<Nat64Prefix>> found;
  found.reserve(answers.size());
  for (const auto& a : answers) found.push_back(positions(a));
  std::vector<Nat64Prefix> out;
  const auto add = [&out](const Nat64Prefix& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto& mine = found[i];
    if (mine.size() == 1) {
      add(mine.front());
      continue;
    }
    if (mine.empty()) continue;
    // Ambiguous: a partner in the same prefix with the other well-known
    // address differs from this answer only where the address sits.
    std::optional<Nat64Prefix> settled;
    for (const auto& p : mine) {
      for (std::size_t j = 0; j < answers.size() && !settled; ++j) {
        if (j == i) continue;
        for (const auto& q : found[j])
          if (p == q && p.extract(answers[i]) != q.extract(answers[j])) settled = p;
      }
      if (settled) break;
    }
    if (!settled) {
      auto it = std::find_if(mine.begin(), mine.end(), [](const Nat64Prefix& p) { return p.length() == 96; });
      if (it != mine.end()) settled = *it;
    }
    if (settled) add(*settled);
  }
  if (out.empty()) {
    std::string list;
    for (const auto& a : answers) list += (list.empty() ? "" : ", ") + a.to_string();
    throw std::runtime_error("the AAAA records of " + std::string(kIpv4OnlyArpa) + " (" +
                             (list.empty() ? std::string("none") : list) +
                             ") embed neither 192.0.0.170 nor 192.0.0.171 where RFC 6052 puts an IPv4 address: "
                             "not a DNS64's synthesis (RFC 7050)");
  }
  return out;
}

std::vector<Nat64Prefix> discover_nat64_prefixes(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET6;  // AAAA only, no IPv4-mapped answers
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res); rc != 0) {
    std::string why = ::gai_strerror(rc);
    if (rc == EAI_NONAME || rc == EAI_NODATA)
      why =
          "no AAAA record: no DNS64 on the way, or one that synthesizes nothing (RFC 7050 needs a DNS64 resolver "
          "in /etc/resolv.conf)";
    else if (rc == EAI_AGAIN)
      why = "the resolver did not answer (" + why + ")";
    throw std::runtime_error("NAT64 prefix discovery: looking up " + name + ": " + why);
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
  std::vector<IpAddress> answers;
  for (addrinfo* a = res; a; a = a->ai_next) {
    auto ep = Endpoint::from_sockaddr(a->ai_addr, a->ai_addrlen);
    if (ep && ep->address.is_v6() && std::find(answers.begin(), answers.end(), ep->address) == answers.end())
      answers.push_back(ep->address);
  }
  try {
    return prefixes_from_synthesis(answers);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("NAT64 prefix discovery: " + std::string(e.what()));
  }
}

std::string to_string(const std::vector<Nat64Prefix>& prefixes) {
  std::string out;
  for (const auto& p : prefixes) out += (out.empty() ? "" : ", ") + p.to_string();
  return out;
}

}  // namespace gn::net
