// The control protocol of an endpoint (docs/protocol.md 6): verifying
// probes and replies, answering probes on the path they came by, and
// sending probes and replies on either data plane.
#include <nlohmann/json.hpp>

#include "endpoint/endpoint.hpp"
#include "util/log.hpp"

namespace gn::endpoint {

using dataplane::Drop;

void TunnelEndpoint::handle_control(Peer* peer, std::uint32_t vni, std::span<const std::uint8_t> frame,
                                    const net::Endpoint& from) {
  auto received = control::parse_frame(frame);
  if (!received) return drop(peer, Drop::kControlMalformed);
  const control::Message& m = received->message;
  // The peer is who the message says it is from, on the tunnel it came on.
  if (!peer) {
    peer = table_.by_identity(m.sender, vni);
    if (!peer) return drop(nullptr, Drop::kControlUnknownPeer);
  } else if (m.sender != peer->spec.remote || vni != peer->spec.vni) {
    return drop(peer, Drop::kControlUnknownPeer);
  }
  if (m.receiver != cfg_.local) return drop(peer, Drop::kControlUnknownPeer);
  switch (control::verify(*received, vni, peer->key ? &*peer->key : nullptr)) {
    case control::DecodeError::kOk: break;
    case control::DecodeError::kUnauthenticated: return drop(peer, Drop::kControlUnauthenticated);
    case control::DecodeError::kBadMac: return drop(peer, Drop::kControlBadMac);
    case control::DecodeError::kMalformed: return drop(peer, Drop::kControlMalformed);
  }
  // Without a key the counter is as forgeable as the rest: checking it
  // would only let a forger push the window past the real peer's counter
  // and lock the peer out.
  if (peer->key && !peer->replay.accept(m.counter)) return drop(peer, Drop::kControlReplay);

  auto now = Clock::now();
  if (m.type == control::MessageType::kProbe) {
    ++peer->probes_rx;
    peer->last_handshake = now;
    // Answer on the path it came by; with the routing option if our data
    // to that address carries it.
    control::Message reply{
        control::MessageType::kReply, cfg_.local, peer->spec.remote, 0, m.probe_id, control::PathKind::kLearned,
        peer->paths.chosen_kind(),    from};
    bool option = false;
    for (const control::Candidate* c : peer->paths.candidates()) {
      if (c->kind != control::PathKind::kLearned && c->target.address == from.address) {
        reply.sent_on = c->kind;
        option = c->route_option;
      }
    }
    if (send_message(*peer, reply, from, option)) ++peer->replies_tx;
    if (auto challenge = peer->paths.on_probe(from, m, now)) {
      log::info("{}: {} probe from {} at a new source {}: challenging it before moving the path", peer->ifname(),
                peer->key ? "authenticated" : "unauthenticated (no key)", peer->spec.name, from.to_string());
      send_probe(*peer, *challenge);
    }
  } else {
    if (!peer->paths.on_reply(from, m, now)) return drop(peer, Drop::kControlStale);
    ++peer->replies_rx;
    peer->last_handshake = now;
    if (m.observed && m.observed != peer->observed) {
      log::info("{}: {} sees our packets coming from {}", peer->ifname(), peer->spec.name, m.observed->to_string());
      peer->observed = m.observed;
    }
  }
  apply_path(*peer);
  // A probe or reply may make the peer due sooner (a challenge's reply
  // timeout); a later deadline is found at the peer's next tick.
  deadlines_.lower(peer, peer->paths.next_deadline());
}

bool TunnelEndpoint::send_message(Peer& peer, control::Message m, const net::Endpoint& to, bool route_option) {
  m.counter = counter_.next();
  auto frame = control::build_frame(m, peer.spec.vni, peer.mac, peer.key ? &*peer.key : nullptr);
  try {
    if (auto* server = peer.device.kernel_server()) {
      // The kernel owns the port: the datagram is built whole and sent raw.
      geneve::HeaderBuilder header(peer.spec.vni);
      if (route_option) header.add_route(cfg_.option_id, geneve::Nat64Route{peer.spec.remote.bytes(), cfg_.port});
      if (server->send_control(to, header.bytes(), frame)) return true;
      log::warn("{}: a control message to {} was dropped: no room in the raw socket", peer.ifname(), to.to_string());
    } else if (auto* kernel = peer.device.kernel()) {
      // The kernel encapsulates it exactly as data (docs/kernel.md).
      if (kernel->control().send_frame(frame)) return true;
      log::warn("{}: a control frame was dropped: the device's queue has no room", peer.ifname());
    } else {
      geneve::HeaderBuilder header(peer.spec.vni);
      if (route_option) header.add_route(cfg_.option_id, geneve::Nat64Route{peer.spec.remote.bytes(), cfg_.port});
      if (dataplane_->send_control(sockets_->for_family(to.address.family()), to, header.bytes(), frame)) return true;
    }
  } catch (const std::exception& e) {
    log::warn("{}: cannot send a control message to {}: {}", peer.ifname(), to.to_string(), e.what());
  }
  drop(&peer, Drop::kSendError);
  return false;
}

void TunnelEndpoint::send_probe(Peer& peer, const control::ProbeOut& p) {
  control::Message m{control::MessageType::kProbe, cfg_.local,  peer.spec.remote, 0, p.probe_id, p.kind,
                     peer.paths.chosen_kind(),     std::nullopt};
  if (send_message(peer, m, p.target, p.route_option)) ++peer.probes_tx;
}

}  // namespace gn::endpoint
