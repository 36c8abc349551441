#pragma once
// RFC 6146 state for TCP, UDP and ICMP query traffic: the binding table (BIB:
// IPv6 endpoint <-> pool port, endpoint-independent) and the session table
// (binding + remote IPv4 endpoint). Pure: no clock of its own (callers pass
// `now`), no I/O.
//
// Costs: every lookup is a hash-map probe. Expiry never scans the table:
// sessions that share a timeout live on one list ordered by expiry time
// (each refresh moves a session to the tail, O(1)), so expire() pops only
// sessions that are really due.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>

#include "nat64/tcp_state.hpp"
#include "net/address.hpp"

namespace gn::nat64 {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// The "port" of an ICMP query session is its identifier (RFC 6146 3.5.3).
enum class Proto : std::uint8_t { kIcmp = 1, kTcp = 6, kUdp = 17 };
enum class CreatedBy : std::uint8_t { kOutbound, kExtension };
const char* to_string(Proto p);
const char* to_string(CreatedBy c);

struct Timeouts {
  std::chrono::seconds udp{120};         // after traffic in both directions
  std::chrono::seconds udp_initial{30};  // before that
  std::chrono::seconds icmp{60};
  // RFC 6146 4: TCP_EST at least 2 h 4 min, TCP_TRANS at least 4 min,
  // TCP_INCOMING_SYN 6 s.
  std::chrono::seconds tcp_established{7440};
  std::chrono::seconds tcp_transitory{240};
  std::chrono::seconds tcp_incoming_syn{6};
};

struct TableLimits {
  std::size_t max_sessions = 65536;
  // Pool ports (ICMP identifiers) handed out when the source port cannot be
  // kept. The GENEVE port is kept out of the dynamic range: only an IPv6
  // endpoint sending from that very port, or the extension, gets it.
  std::uint16_t port_min = 1024;
  std::uint16_t port_max = 65535;
  std::uint16_t reserved_udp_port = 6081;
};

struct Binding {
  Proto proto;
  net::IpAddress v6_address;
  std::uint16_t v6_port;  // or ICMP identifier
  std::uint16_t pool_port;
  CreatedBy created_by;
  TimePoint created;
  std::size_t sessions = 0;
};

struct Session {
  Binding* binding;
  std::uint32_t remote_v4;    // host order
  std::uint16_t remote_port;  // 0 for ICMP
  TimePoint created;
  TimePoint expires;
  bool seen_outbound = false;
  bool seen_inbound = false;
  std::uint8_t timeout_class = 0;    // index into the expiry lists
  TcpState tcp = TcpState::kClosed;  // TCP sessions only
  net::IpAddress remote_address() const;
};

// kNotSyn: a TCP segment other than SYN where no session exists; only a
// SYN creates TCP state (RFC 6146 3.5.2.2).
enum class StateError : std::uint8_t { kOk, kTableFull, kPortsExhausted, kBindingConflict, kNotSyn };

struct StateResult {
  StateError error = StateError::kOk;
  Session* session = nullptr;
  bool binding_created = false;
  bool session_created = false;
};

class StateTable {
 public:
  StateTable(TableLimits limits, Timeouts timeouts);
  StateTable(const StateTable&) = delete;
  StateTable& operator=(const StateTable&) = delete;

  Binding* find_binding_v6(Proto proto, const net::IpAddress& v6, std::uint16_t port);
  Binding* find_binding_pool(Proto proto, std::uint16_t pool_port);
  Session* find_session(Proto proto, std::uint16_t pool_port, std::uint32_t remote_v4, std::uint16_t remote_port);
  // Address-dependent filtering (RFC 4787): has the binding's IPv6 endpoint
  // sent to (or been reached from) this IPv4 address?
  bool remote_address_known(Proto proto, std::uint16_t pool_port, std::uint32_t remote_v4) const;

  // Outbound packet: finds or creates the binding (keeping the source port
  // when it is free) and the session, then refreshes it. A UDP endpoint
  // sending from the reserved (GENEVE) port gets pool:reserved port, the
  // binding the extension would create for it, only if `may_reserve`
  // (the translator passes: the endpoint is one the extension may deliver
  // to); otherwise it gets a dynamic port like any other. For TCP, `tcp`
  // are the segment's flags: they drive the session's state, and only a
  // SYN creates state (kNotSyn otherwise).
  StateResult outbound(Proto proto, const net::IpAddress& v6, std::uint16_t port, std::uint32_t remote_v4,
                       std::uint16_t remote_port, TimePoint now, bool may_reserve = true, TcpFlags tcp = {});
  // Inbound packet allowed by address-dependent filtering: adds a session to
  // an existing binding, then refreshes it (TCP: only for a SYN).
  StateResult add_inbound_session(Binding& binding, std::uint32_t remote_v4, std::uint16_t remote_port, TimePoint now,
                                  TcpFlags tcp = {});
  // The extension (docs/protocol.md 3.3): a UDP binding [v6]:port <->
  // pool_port and a session to the remote, as if the IPv6 endpoint had sent
  // first. kBindingConflict if pool_port is held by another IPv6 endpoint or
  // the endpoint already holds another pool port.
  StateResult extension(const net::IpAddress& v6, std::uint16_t port, std::uint16_t pool_port, std::uint32_t remote_v4,
                        std::uint16_t remote_port, TimePoint now);

  // Marks traffic in `dir` and moves the session's expiry forward; a TCP
  // session's state follows the segment's flags and decides the expiry
  // (tcp_state.hpp: some segments do not prolong it).
  void touch(Session& session, Direction dir, TimePoint now, TcpFlags tcp = {});
  // Removes every session due at `now` and bindings left without sessions;
  // a TCP session due in ESTABLISHED or a FIN state moves to TRANS instead.
  // Returns the number of sessions removed.
  std::size_t expire(TimePoint now);

  std::size_t session_count() const { return session_index_.size(); }
  std::size_t binding_count() const { return by_v6_.size(); }
  const TableLimits& limits() const { return limits_; }
  const Timeouts& timeouts() const { return timeouts_; }

  // For status output: visits sessions grouped by nothing in particular.
  template <typename Fn>
  void for_each_session(Fn&& fn) const {
    for (const auto& list : expiry_lists_)
      for (const Session& s : list) fn(s);
  }
  template <typename Fn>
  void for_each_binding(Fn&& fn) const {
    for (const auto& [key, b] : by_v6_) fn(*b);
  }

 private:
  struct V6Key {
    std::array<std::uint8_t, 16> address;
    std::uint16_t port;
    Proto proto;
    friend bool operator==(const V6Key&, const V6Key&) = default;
  };
  struct PoolKey {
    std::uint16_t port;
    Proto proto;
    friend bool operator==(const PoolKey&, const PoolKey&) = default;
  };
  struct SessionKey {
    std::uint32_t remote_v4;
    std::uint16_t remote_port;
    std::uint16_t pool_port;
    Proto proto;
    friend bool operator==(const SessionKey&, const SessionKey&) = default;
  };
  struct RemoteKey {
    std::uint32_t remote_v4;
    std::uint16_t pool_port;
    Proto proto;
    friend bool operator==(const RemoteKey&, const RemoteKey&) = default;
  };
  // Keyed with a per-process random seed: remote addresses and ports are
  // chosen by strangers, and an unkeyed hash lets them aim at one bucket.
  struct Hasher {
    std::uint64_t seed;
    std::size_t operator()(const V6Key& k) const;
    std::size_t operator()(const PoolKey& k) const;
    std::size_t operator()(const SessionKey& k) const;
    std::size_t operator()(const RemoteKey& k) const;
  };
  using SessionList = std::list<Session>;
  // UDP initial, UDP established, ICMP, TCP transitory, TCP established,
  // TCP incoming SYN: every member of one list has the same timeout.
  static constexpr std::size_t kTimeoutClasses = 6;

  std::optional<std::uint16_t> allocate_port(Proto proto, std::uint16_t wanted, bool may_reserve);
  Binding* create_binding(Proto proto, const net::IpAddress& v6, std::uint16_t port, std::uint16_t pool_port,
                          CreatedBy by, TimePoint now);
  StateResult create_session(Binding& binding, std::uint32_t remote_v4, std::uint16_t remote_port, TimePoint now);
  std::uint8_t timeout_class_of(const Session& s) const;
  std::chrono::seconds timeout_of(std::uint8_t cls) const;
  void erase_session(SessionList::iterator it, std::uint8_t cls);
  // Gives `session` class `cls`, expiring `now` plus its timeout: moves it
  // to the tail of that class's list.
  void reschedule(Session& session, std::uint8_t cls, TimePoint now);

  TableLimits limits_;
  Timeouts timeouts_;
  Hasher hasher_;
  // Bindings are owned by by_v6_ (unique_ptr: stable addresses that sessions
  // and by_pool_ point to).
  std::unordered_map<V6Key, std::unique_ptr<Binding>, Hasher> by_v6_;
  std::unordered_map<PoolKey, Binding*, Hasher> by_pool_;
  std::array<SessionList, kTimeoutClasses> expiry_lists_;
  std::unordered_map<SessionKey, SessionList::iterator, Hasher> session_index_;
  std::unordered_map<RemoteKey, std::uint32_t, Hasher> remote_refs_;
  std::array<std::uint16_t, 3> next_port_{};  // allocation cursor per protocol
};

}  // namespace gn::nat64
