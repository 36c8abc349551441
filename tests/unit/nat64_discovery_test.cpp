// RFC 7050 prefix discovery: the prefixes read from synthesized AAAA
// records of ipv4only.arpa, at every RFC 6052 length, with the ambiguities
// the RFC describes, and the answers that are no synthesis.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "net/nat64_discovery.hpp"

namespace gn::net {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
const IpAddress kWka170 = ip("192.0.0.170");
const IpAddress kWka171 = ip("192.0.0.171");

// Both well-known addresses synthesized with `prefix`, as a DNS64 answers.
std::vector<IpAddress> synthesis(const char* prefix) {
  const auto p = Nat64Prefix::parse(prefix);
  return {p.embed(kWka170), p.embed(kWka171)};
}

std::string error_of(const std::vector<IpAddress>& answers) {
  try {
    prefixes_from_synthesis(answers);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Nat64Discovery, EveryRfc6052Length) {
  for (const char* prefix : {"2001:db8:64:a::/96", "2001:db8:122:344::/64", "2001:db8:122:300::/56",
                             "2001:db8:122::/48", "2001:db8:100::/40", "2001:db8::/32"}) {
    SCOPED_TRACE(prefix);
    const auto found = prefixes_from_synthesis(synthesis(prefix));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0], Nat64Prefix::parse(prefix));
    // One answer alone is enough when its length is not ambiguous.
    EXPECT_EQ(prefixes_from_synthesis({synthesis(prefix)[0]}), found);
  }
  // The literal a BIND dns64 2001:db8:64:a::/96 gives.
  EXPECT_EQ(to_string(prefixes_from_synthesis({ip("2001:db8:64:a::c000:aa")})), "2001:db8:64:a::/96");
}

TEST(Nat64Discovery, SeveralNat64sInTheOrderOfTheirAnswersEachOnce) {
  auto answers = synthesis("2001:db8:64:b::/96");
  for (const auto& a : synthesis("2001:db8:64:a::/96")) answers.push_back(a);
  answers.push_back(ip("192.0.0.170"));  // not an AAAA: ignored
  EXPECT_EQ(to_string(prefixes_from_synthesis(answers)), "2001:db8:64:b::/96, 2001:db8:64:a::/96");
}

TEST(Nat64Discovery, AmbiguousPositionsAreSettledByThePartnerElseTakenAs96) {
  // 2001:db8:c000:aa::/96 holds 192.0.0.170 at the /32 position too.
  const auto both = synthesis("2001:db8:c000:aa::/96");
  EXPECT_EQ(to_string(prefixes_from_synthesis(both)), "2001:db8:c000:aa::/96");
  EXPECT_EQ(to_string(prefixes_from_synthesis({both[0]})), "2001:db8:c000:aa::/96");  // alone: /96
  // A /64 whose /32 position reads 192.0.0.170 as well: only the partner
  // (the two differ where the address sits) says it is /64, not /32.
  const auto p64 = synthesis("2001:db8:c000:aa::/64");
  EXPECT_EQ(to_string(prefixes_from_synthesis(p64)), "2001:db8:c000:aa::/64");
  // Without it the answer is ambiguous and no /96: skipped, so an error.
  EXPECT_NE(error_of({p64[1]}).find("embed neither"), std::string::npos);
}

TEST(Nat64Discovery, TheUOctetMustBeZeroBelow96) {
  // 192.0.0.170 at the /64 position but bits 64..71 set: no RFC 6052 address.
  EXPECT_NE(error_of({ip("2001:db8:122:344:ffc0:0:aa00:0")}).find("embed neither"), std::string::npos);
}

TEST(Nat64Discovery, AnswersThatAreNoSynthesisAreOneClearError) {
  EXPECT_EQ(error_of({ip("2001:db8::1"), ip("2001:db8:64::c000:201")}),
            "the AAAA records of ipv4only.arpa (2001:db8::1, 2001:db8:64::c000:201) embed neither 192.0.0.170 nor "
            "192.0.0.171 where RFC 6052 puts an IPv4 address: not a DNS64's synthesis (RFC 7050)");
  EXPECT_NE(error_of({}).find("(none)"), std::string::npos);
  EXPECT_EQ(error_of({ip("2001:db8::1")}).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace gn::net
