#include "nat64/state.hpp"

#include "util/bytes.hpp"
#include "util/hash.hpp"

namespace gn::nat64 {
namespace {

using gn::random_seed;
std::uint64_t mix(std::uint64_t x) {
  return mix64(x);
}

std::size_t proto_index(Proto p) {
  switch (p) {
    case Proto::kUdp: return 0;
    case Proto::kIcmp: return 1;
    case Proto::kTcp: return 2;
  }
  return 0;
}

constexpr std::uint8_t kUdpInitial = 0;
constexpr std::uint8_t kUdpEstablished = 1;
constexpr std::uint8_t kIcmp = 2;
constexpr std::uint8_t kTcpTransitory = 3;
constexpr std::uint8_t kTcpEstablished = 4;
constexpr std::uint8_t kTcpIncomingSyn = 5;

std::uint8_t tcp_class(TcpLifetime l) {
  switch (l) {
    case TcpLifetime::kEstablished: return kTcpEstablished;
    case TcpLifetime::kIncomingSyn: return kTcpIncomingSyn;
    default: return kTcpTransitory;
  }
}

}  // namespace

const char* to_string(Proto p) {
  switch (p) {
    case Proto::kUdp: return "udp";
    case Proto::kIcmp: return "icmp";
    case Proto::kTcp: return "tcp";
  }
  return "?";
}
const char* to_string(CreatedBy c) {
  return c == CreatedBy::kOutbound ? "outbound" : "extension";
}

net::IpAddress Session::remote_address() const {
  std::array<std::uint8_t, 4> b;
  store32(b.data(), remote_v4);
  return net::IpAddress::v4(b);
}

std::size_t StateTable::Hasher::operator()(const V6Key& k) const {
  std::uint64_t hi = load64(k.address.data()), lo = load64(k.address.data() + 8);
  return mix(mix(hi ^ seed) ^ lo ^ (static_cast<std::uint64_t>(k.port) << 8) ^ static_cast<std::uint64_t>(k.proto));
}
std::size_t StateTable::Hasher::operator()(const PoolKey& k) const {
  return mix(seed ^ (static_cast<std::uint64_t>(k.port) << 8) ^ static_cast<std::uint64_t>(k.proto));
}
std::size_t StateTable::Hasher::operator()(const SessionKey& k) const {
  return mix(seed ^ (static_cast<std::uint64_t>(k.remote_v4) << 32) ^
             (static_cast<std::uint64_t>(k.remote_port) << 16) ^ k.pool_port ^
             (static_cast<std::uint64_t>(k.proto) << 48));
}
std::size_t StateTable::Hasher::operator()(const RemoteKey& k) const {
  return mix(seed ^ (static_cast<std::uint64_t>(k.remote_v4) << 24) ^ k.pool_port ^
             (static_cast<std::uint64_t>(k.proto) << 56));
}

StateTable::StateTable(TableLimits limits, Timeouts timeouts)
    : limits_(limits),
      timeouts_(timeouts),
      hasher_{random_seed()},
      by_v6_(64, hasher_),
      by_pool_(64, hasher_),
      session_index_(64, hasher_),
      remote_refs_(64, hasher_) {
  next_port_.fill(limits_.port_min);
}

Binding* StateTable::find_binding_v6(Proto proto, const net::IpAddress& v6, std::uint16_t port) {
  auto it = by_v6_.find(V6Key{v6.bytes(), port, proto});
  return it == by_v6_.end() ? nullptr : it->second.get();
}

Binding* StateTable::find_binding_pool(Proto proto, std::uint16_t pool_port) {
  auto it = by_pool_.find(PoolKey{pool_port, proto});
  return it == by_pool_.end() ? nullptr : it->second;
}

Session* StateTable::find_session(Proto proto, std::uint16_t pool_port, std::uint32_t remote_v4,
                                  std::uint16_t remote_port) {
  auto it = session_index_.find(SessionKey{remote_v4, remote_port, pool_port, proto});
  return it == session_index_.end() ? nullptr : &*it->second;
}

bool StateTable::remote_address_known(Proto proto, std::uint16_t pool_port, std::uint32_t remote_v4) const {
  return remote_refs_.contains(RemoteKey{remote_v4, pool_port, proto});
}

std::optional<std::uint16_t> StateTable::allocate_port(Proto proto, std::uint16_t wanted, bool may_reserve) {
  auto is_free = [&](std::uint16_t p) { return !by_pool_.contains(PoolKey{p, proto}); };
  bool is_reserved = proto == Proto::kUdp && wanted == limits_.reserved_udp_port;
  bool reserved = is_reserved && may_reserve;
  if (is_reserved && !may_reserve) wanted = 0;  // fall through to the dynamic range
  // Keep the source port when we can (RFC 4787 REQ-3 "port preservation" is
  // a MAY; it makes the GENEVE case work: an endpoint sending from 6081 is
  // reachable on pool:6081).
  if ((reserved || (wanted >= limits_.port_min && wanted <= limits_.port_max)) && is_free(wanted)) return wanted;
  std::uint16_t& cursor = next_port_[proto_index(proto)];
  std::uint32_t range = static_cast<std::uint32_t>(limits_.port_max - limits_.port_min) + 1;
  for (std::uint32_t tried = 0; tried < range; ++tried) {
    std::uint16_t p = cursor;
    cursor = p == limits_.port_max ? limits_.port_min : static_cast<std::uint16_t>(p + 1);
    if (proto == Proto::kUdp && p == limits_.reserved_udp_port) continue;
    if (is_free(p)) return p;
  }
  return std::nullopt;
}

Binding* StateTable::create_binding(Proto proto, const net::IpAddress& v6, std::uint16_t port, std::uint16_t pool_port,
                                    CreatedBy by, TimePoint now) {
  auto owned = std::make_unique<Binding>(Binding{proto, v6, port, pool_port, by, now, 0});
  Binding* b = owned.get();
  by_v6_.emplace(V6Key{v6.bytes(), port, proto}, std::move(owned));
  by_pool_.emplace(PoolKey{pool_port, proto}, b);
  return b;
}

std::uint8_t StateTable::timeout_class_of(const Session& s) const {
  if (s.binding->proto == Proto::kIcmp) return kIcmp;
  if (s.binding->proto == Proto::kTcp) return s.timeout_class;  // set by the state machine in touch()
  return (s.seen_inbound && s.seen_outbound) ? kUdpEstablished : kUdpInitial;
}

std::chrono::seconds StateTable::timeout_of(std::uint8_t cls) const {
  switch (cls) {
    case kUdpInitial: return timeouts_.udp_initial;
    case kUdpEstablished: return timeouts_.udp;
    case kIcmp: return timeouts_.icmp;
    case kTcpEstablished: return timeouts_.tcp_established;
    case kTcpIncomingSyn: return timeouts_.tcp_incoming_syn;
    default: return timeouts_.tcp_transitory;
  }
}

StateResult StateTable::create_session(Binding& binding, std::uint32_t remote_v4, std::uint16_t remote_port,
                                       TimePoint now) {
  // Refuse rather than evict: see docs/gateway.md "When the table is full".
  if (session_index_.size() >= limits_.max_sessions) return {StateError::kTableFull, nullptr, false};
  Session s{&binding, remote_v4, remote_port, now, now, false, false, kTcpTransitory};
  s.timeout_class = timeout_class_of(s);
  s.expires = now + timeout_of(s.timeout_class);
  SessionList& list = expiry_lists_[s.timeout_class];
  list.push_back(s);
  auto it = std::prev(list.end());
  session_index_.emplace(SessionKey{remote_v4, remote_port, binding.pool_port, binding.proto}, it);
  ++remote_refs_[RemoteKey{remote_v4, binding.pool_port, binding.proto}];
  ++binding.sessions;
  return {StateError::kOk, &*it, false, true};
}

void StateTable::touch(Session& session, Direction dir, TimePoint now, TcpFlags tcp) {
  (dir == Direction::kOutbound ? session.seen_outbound : session.seen_inbound) = true;
  if (session.binding->proto == Proto::kTcp) {
    TcpStep step = tcp_step(session.tcp, dir, tcp);
    session.tcp = step.next;
    if (step.lifetime != TcpLifetime::kKeep) reschedule(session, tcp_class(step.lifetime), now);
    return;
  }
  reschedule(session, timeout_class_of(session), now);
}

void StateTable::reschedule(Session& session, std::uint8_t cls, TimePoint now) {
  std::uint8_t old_cls = session.timeout_class;
  session.expires = now + timeout_of(cls);
  session.timeout_class = cls;
  // Move to the tail of its class list: lists stay ordered by expiry because
  // every member of a list has the same timeout and `now` never goes back.
  auto it = session_index_.find(
      SessionKey{session.remote_v4, session.remote_port, session.binding->pool_port, session.binding->proto});
  expiry_lists_[cls].splice(expiry_lists_[cls].end(), expiry_lists_[old_cls], it->second);
}

StateResult StateTable::outbound(Proto proto, const net::IpAddress& v6, std::uint16_t port, std::uint32_t remote_v4,
                                 std::uint16_t remote_port, TimePoint now, bool may_reserve, TcpFlags tcp) {
  Binding* b = find_binding_v6(proto, v6, port);
  bool created = false;
  if (b) {
    if (Session* s = find_session(proto, b->pool_port, remote_v4, remote_port)) {
      touch(*s, Direction::kOutbound, now, tcp);
      return {StateError::kOk, s, false};
    }
  }
  if (proto == Proto::kTcp && !tcp.syn) return {StateError::kNotSyn, nullptr, false};
  if (!b) {
    // Check capacity before taking a port, so a refused packet leaves nothing.
    if (session_index_.size() >= limits_.max_sessions) return {StateError::kTableFull, nullptr, false};
    auto pool_port = allocate_port(proto, port, may_reserve);
    if (!pool_port) return {StateError::kPortsExhausted, nullptr, false};
    b = create_binding(proto, v6, port, *pool_port, CreatedBy::kOutbound, now);
    created = true;
  }
  StateResult r = create_session(*b, remote_v4, remote_port, now);
  if (r.error != StateError::kOk) return r;
  touch(*r.session, Direction::kOutbound, now, tcp);
  r.binding_created = created;
  return r;
}

StateResult StateTable::add_inbound_session(Binding& binding, std::uint32_t remote_v4, std::uint16_t remote_port,
                                            TimePoint now, TcpFlags tcp) {
  if (binding.proto == Proto::kTcp && !tcp.syn) return {StateError::kNotSyn, nullptr, false};
  StateResult r = create_session(binding, remote_v4, remote_port, now);
  if (r.error == StateError::kOk) touch(*r.session, Direction::kInbound, now, tcp);
  return r;
}

StateResult StateTable::extension(const net::IpAddress& v6, std::uint16_t port, std::uint16_t pool_port,
                                  std::uint32_t remote_v4, std::uint16_t remote_port, TimePoint now) {
  Binding* held = find_binding_pool(Proto::kUdp, pool_port);
  Binding* own = find_binding_v6(Proto::kUdp, v6, port);
  // A binding lives exactly as long as it has sessions, so a held port is
  // always in use: never take it from its owner. Endpoint-independent
  // mapping also forbids giving the endpoint a second pool port.
  if ((held && held != own) || (own && own != held)) return {StateError::kBindingConflict, nullptr, false};
  bool created = false;
  if (!own) {
    if (session_index_.size() >= limits_.max_sessions) return {StateError::kTableFull, nullptr, false};
    own = create_binding(Proto::kUdp, v6, port, pool_port, CreatedBy::kExtension, now);
    created = true;
  } else if (Session* s = find_session(Proto::kUdp, pool_port, remote_v4, remote_port)) {
    touch(*s, Direction::kInbound, now);
    return {StateError::kOk, s, false};
  }
  StateResult r = create_session(*own, remote_v4, remote_port, now);
  if (r.error != StateError::kOk) return r;
  touch(*r.session, Direction::kInbound, now);
  r.binding_created = created;
  return r;
}

void StateTable::erase_session(SessionList::iterator it, std::uint8_t cls) {
  Binding* b = it->binding;
  session_index_.erase(SessionKey{it->remote_v4, it->remote_port, b->pool_port, b->proto});
  auto ref = remote_refs_.find(RemoteKey{it->remote_v4, b->pool_port, b->proto});
  if (ref != remote_refs_.end() && --ref->second == 0) remote_refs_.erase(ref);
  expiry_lists_[cls].erase(it);
  if (--b->sessions == 0) {
    // RFC 6146 3.5.1: a BIB entry without sessions is deleted.
    by_pool_.erase(PoolKey{b->pool_port, b->proto});
    by_v6_.erase(V6Key{b->v6_address.bytes(), b->v6_port, b->proto});
  }
}

std::size_t StateTable::expire(TimePoint now) {
  std::size_t removed = 0;
  for (std::uint8_t cls = 0; cls < kTimeoutClasses; ++cls) {
    SessionList& list = expiry_lists_[cls];
    while (!list.empty() && list.front().expires <= now) {
      Session& due = list.front();
      if (due.binding->proto == Proto::kTcp && tcp_on_expiry(due.tcp) == TcpState::kTransitory) {
        // Quiet, not necessarily gone: TRANS gives it 4 more minutes, and
        // its next segment brings it back to ESTABLISHED.
        due.tcp = TcpState::kTransitory;
        reschedule(due, kTcpTransitory, now);
        continue;
      }
      erase_session(list.begin(), cls);
      ++removed;
    }
  }
  return removed;
}

}  // namespace gn::nat64
