#pragma once
// The RFC 6146 3.5.2.2 TCP session state machine, as a pure function of the
// state and one segment's direction and flags. The session table
// (state.hpp) applies the result: a new state and which lifetime the
// session gets. No clock, no table, no packet here, so every transition is
// a unit test of one line.
#include <cstdint>

namespace gn::nat64 {

enum class Direction : std::uint8_t { kOutbound, kInbound };  // from IPv6 / from IPv4

enum class TcpState : std::uint8_t {
  kClosed,              // no session yet (the state a new session starts from)
  kV4Init,              // an IPv4 SYN opened it (simultaneous open, under filtering)
  kV6Init,              // an IPv6 SYN opened it: waiting for the IPv4 side's SYN
  kEstablished,         // SYNs seen both ways
  kV4FinReceived,       // the IPv4 side sent FIN
  kV6FinReceived,       // the IPv6 side sent FIN
  kV4FinV6FinReceived,  // both sent FIN: only the timeout ends it
  kTransitory,          // RST seen, or idle past the established lifetime
};
const char* to_string(TcpState s);

struct TcpFlags {
  bool syn = false;
  bool fin = false;
  bool rst = false;
  // From byte 13 of a TCP header.
  static TcpFlags from_byte(std::uint8_t b) { return {(b & 0x02) != 0, (b & 0x01) != 0, (b & 0x04) != 0}; }
};

// Which lifetime the session gets after the segment.
enum class TcpLifetime : std::uint8_t {
  kKeep,         // unchanged: the segment does not prolong the session
  kTransitory,   // TCP_TRANS, 4 min
  kEstablished,  // TCP_EST, 2 h 4 min
  kIncomingSyn,  // TCP_INCOMING_SYN, 6 s: an IPv4-opened session
};

struct TcpStep {
  TcpState next;
  TcpLifetime lifetime;
};

// A segment for a session in `state` (kClosed: the session is being
// created by this segment, which the caller only does for a SYN).
TcpStep tcp_step(TcpState state, Direction dir, TcpFlags flags);

// When the lifetime of a session in `state` runs out: the session is
// removed (nullopt-like: returns kClosed) or moves to TRANS. RFC 6146 lets an
// idle ESTABLISHED session be probed; we move it to TRANS instead, so a
// connection that is only quiet comes back with its next segment within 4
// minutes, and one that is gone is removed then.
TcpState tcp_on_expiry(TcpState state);

}  // namespace gn::nat64
