#include "nat64/tcp_state.hpp"

namespace gn::nat64 {

const char* to_string(TcpState s) {
  switch (s) {
    case TcpState::kClosed: return "closed";
    case TcpState::kV4Init: return "v4_init";
    case TcpState::kV6Init: return "v6_init";
    case TcpState::kEstablished: return "established";
    case TcpState::kV4FinReceived: return "v4_fin_rcv";
    case TcpState::kV6FinReceived: return "v6_fin_rcv";
    case TcpState::kV4FinV6FinReceived: return "v4_fin_v6_fin_rcv";
    case TcpState::kTransitory: return "trans";
  }
  return "?";
}

TcpStep tcp_step(TcpState state, Direction dir, TcpFlags flags) {
  const bool from_v6 = dir == Direction::kOutbound;
  switch (state) {
    case TcpState::kClosed:
      // The caller creates a session only for a SYN. From IPv4 that is a
      // simultaneous open, admitted by address-dependent filtering; it gets
      // the short lifetime until the IPv6 side answers with its own SYN.
      return from_v6 ? TcpStep{TcpState::kV6Init, TcpLifetime::kTransitory}
                     : TcpStep{TcpState::kV4Init, TcpLifetime::kIncomingSyn};
    case TcpState::kV4Init:
      if (from_v6 && flags.syn) return {TcpState::kEstablished, TcpLifetime::kEstablished};
      // An IPv4 retry must not prolong what only it opened.
      return {state, TcpLifetime::kKeep};
    case TcpState::kV6Init:
      if (flags.syn) {
        if (!from_v6) return {TcpState::kEstablished, TcpLifetime::kEstablished};
        return {state, TcpLifetime::kTransitory};  // the IPv6 host retries its SYN
      }
      return {state, TcpLifetime::kKeep};
    case TcpState::kEstablished:
      if (flags.fin) return {from_v6 ? TcpState::kV6FinReceived : TcpState::kV4FinReceived, TcpLifetime::kKeep};
      if (flags.rst) return {TcpState::kTransitory, TcpLifetime::kTransitory};
      return {state, TcpLifetime::kEstablished};
    case TcpState::kV4FinReceived:
      if (from_v6 && flags.fin) return {TcpState::kV4FinV6FinReceived, TcpLifetime::kTransitory};
      return {state, TcpLifetime::kEstablished};
    case TcpState::kV6FinReceived:
      if (!from_v6 && flags.fin) return {TcpState::kV4FinV6FinReceived, TcpLifetime::kTransitory};
      return {state, TcpLifetime::kEstablished};
    case TcpState::kV4FinV6FinReceived: return {state, TcpLifetime::kKeep};
    case TcpState::kTransitory:
      // Anything but a RST shows the connection is alive after all.
      if (!flags.rst) return {TcpState::kEstablished, TcpLifetime::kEstablished};
      return {state, TcpLifetime::kKeep};
  }
  return {state, TcpLifetime::kKeep};
}

TcpState tcp_on_expiry(TcpState state) {
  switch (state) {
    case TcpState::kEstablished:
    case TcpState::kV4FinReceived:
    case TcpState::kV6FinReceived: return TcpState::kTransitory;
    default: return TcpState::kClosed;
  }
}

}  // namespace gn::nat64
