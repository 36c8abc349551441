// Every transition of the RFC 6146 3.5.2.2 TCP state machine, one row per
// state, direction and segment kind; the table is the RFC's, written out.
#include <gtest/gtest.h>

#include <string>

#include "nat64/tcp_state.hpp"

namespace gn::nat64 {
namespace {

constexpr Direction k6 = Direction::kOutbound;
constexpr Direction k4 = Direction::kInbound;
constexpr TcpFlags kSyn{true, false, false};
constexpr TcpFlags kFin{false, true, false};
constexpr TcpFlags kRst{false, false, true};
constexpr TcpFlags kData{};

using S = TcpState;
using L = TcpLifetime;

struct Row {
  S from;
  Direction dir;
  TcpFlags flags;
  S to;
  L lifetime;
};

std::string name(const Row& r) {
  std::string f = r.flags.syn ? "SYN" : r.flags.fin ? "FIN" : r.flags.rst ? "RST" : "data";
  return std::string(to_string(r.from)) + (r.dir == k6 ? " + V6 " : " + V4 ") + f;
}

TEST(TcpStateTest, EveryTransition) {
  const Row rows[] = {
      // CLOSED: only a SYN gets here (the table refuses the rest).
      {S::kClosed, k6, kSyn, S::kV6Init, L::kTransitory},
      {S::kClosed, k4, kSyn, S::kV4Init, L::kIncomingSyn},
      // V4 INIT: the IPv6 SYN establishes; IPv4 retries prolong nothing.
      {S::kV4Init, k6, kSyn, S::kEstablished, L::kEstablished},
      {S::kV4Init, k4, kSyn, S::kV4Init, L::kKeep},
      {S::kV4Init, k6, kData, S::kV4Init, L::kKeep},
      {S::kV4Init, k4, kRst, S::kV4Init, L::kKeep},
      // V6 INIT: the IPv4 SYN establishes; an IPv6 SYN retry refreshes.
      {S::kV6Init, k4, kSyn, S::kEstablished, L::kEstablished},
      {S::kV6Init, k6, kSyn, S::kV6Init, L::kTransitory},
      {S::kV6Init, k4, kData, S::kV6Init, L::kKeep},
      {S::kV6Init, k6, kRst, S::kV6Init, L::kKeep},
      // ESTABLISHED.
      {S::kEstablished, k4, kFin, S::kV4FinReceived, L::kKeep},
      {S::kEstablished, k6, kFin, S::kV6FinReceived, L::kKeep},
      {S::kEstablished, k4, kRst, S::kTransitory, L::kTransitory},
      {S::kEstablished, k6, kRst, S::kTransitory, L::kTransitory},
      {S::kEstablished, k4, kData, S::kEstablished, L::kEstablished},
      {S::kEstablished, k6, kSyn, S::kEstablished, L::kEstablished},
      // One side closed: the other side's FIN ends it; all else refreshes.
      {S::kV4FinReceived, k6, kFin, S::kV4FinV6FinReceived, L::kTransitory},
      {S::kV4FinReceived, k4, kFin, S::kV4FinReceived, L::kEstablished},
      {S::kV4FinReceived, k6, kData, S::kV4FinReceived, L::kEstablished},
      {S::kV6FinReceived, k4, kFin, S::kV4FinV6FinReceived, L::kTransitory},
      {S::kV6FinReceived, k6, kFin, S::kV6FinReceived, L::kEstablished},
      {S::kV6FinReceived, k4, kData, S::kV6FinReceived, L::kEstablished},
      // Both closed: only the timeout ends it.
      {S::kV4FinV6FinReceived, k4, kData, S::kV4FinV6FinReceived, L::kKeep},
      {S::kV4FinV6FinReceived, k6, kSyn, S::kV4FinV6FinReceived, L::kKeep},
      {S::kV4FinV6FinReceived, k6, kRst, S::kV4FinV6FinReceived, L::kKeep},
      // TRANS: anything but a RST revives the connection.
      {S::kTransitory, k4, kData, S::kEstablished, L::kEstablished},
      {S::kTransitory, k6, kFin, S::kEstablished, L::kEstablished},
      {S::kTransitory, k6, kRst, S::kTransitory, L::kKeep},
      {S::kTransitory, k4, kRst, S::kTransitory, L::kKeep},
  };
  for (const Row& r : rows) {
    TcpStep step = tcp_step(r.from, r.dir, r.flags);
    EXPECT_EQ(step.next, r.to) << name(r) << " went to " << to_string(step.next);
    EXPECT_EQ(step.lifetime, r.lifetime) << name(r);
  }
}

TEST(TcpStateTest, ExpiryMovesLiveStatesToTransitoryAndEndsTheRest) {
  EXPECT_EQ(tcp_on_expiry(S::kEstablished), S::kTransitory);
  EXPECT_EQ(tcp_on_expiry(S::kV4FinReceived), S::kTransitory);
  EXPECT_EQ(tcp_on_expiry(S::kV6FinReceived), S::kTransitory);
  EXPECT_EQ(tcp_on_expiry(S::kTransitory), S::kClosed);
  EXPECT_EQ(tcp_on_expiry(S::kV4FinV6FinReceived), S::kClosed);
  EXPECT_EQ(tcp_on_expiry(S::kV4Init), S::kClosed);
  EXPECT_EQ(tcp_on_expiry(S::kV6Init), S::kClosed);
}

TEST(TcpStateTest, FlagsFromTheHeaderByte) {
  TcpFlags f = TcpFlags::from_byte(0x12);  // SYN+ACK
  EXPECT_TRUE(f.syn);
  EXPECT_FALSE(f.fin);
  EXPECT_FALSE(f.rst);
  f = TcpFlags::from_byte(0x11);  // FIN+ACK
  EXPECT_TRUE(f.fin);
  EXPECT_FALSE(f.syn);
  f = TcpFlags::from_byte(0x04);
  EXPECT_TRUE(f.rst);
}

}  // namespace
}  // namespace gn::nat64
