#pragma once
// The userspace data plane: TAP <-> GENEVE/UDP. Frames read from the TAP are
// sent with a prebuilt header in front (scatter-gather, no copy); datagrams
// received are validated (source, codec rules, VNI, protocol) and their inner
// frame written to the TAP. Both directions move batches (recvmmsg /
// sendmmsg) of up to kBatch packets per system call.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "control/status.hpp"
#include "dataplane/tap.hpp"
#include "dataplane/udp.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"

namespace gn::dataplane {

struct PeerConfig {
  std::uint32_t vni = 0;
  net::Endpoint send_to;            // PATH and the peer's port
  net::IpAddress accept_from;       // datagrams from any port of this address
  net::IpAddress local_v6;          // ours: a routing option must name it
  std::optional<geneve::Nat64Route> route;  // put on every packet we send
  geneve::OptionId option_id;
};

class UserspaceDataplane {
 public:
  static constexpr std::size_t kBatch = 32;
  // Frames up to 64 KiB, so GSO-sized frames fit once offloads arrive.
  static constexpr std::size_t kSlotSize = 65536;

  // `sockets`: every socket to receive on; packets are sent from `sender`.
  UserspaceDataplane(TapDevice& tap, std::vector<UdpSocket*> sockets, UdpSocket& sender, const PeerConfig& peer);

  // Drain the TAP (up to one batch) and send. Returns frames handled.
  std::size_t on_tap_readable();
  // Receive up to one batch on `sock` and deliver. Returns datagrams handled.
  std::size_t on_udp_readable(UdpSocket& sock);

  const control::Counters& counters() const { return counters_; }
  const PeerConfig& peer() const { return peer_; }

 private:
  void deliver(std::span<const std::uint8_t> datagram, const net::Endpoint& from);
  void send_batch(std::size_t count);

  TapDevice& tap_;
  std::vector<UdpSocket*> sockets_;
  UdpSocket& sender_;
  PeerConfig peer_;
  geneve::HeaderBuilder header_;
  control::Counters counters_;
  sockaddr_storage peer_addr_{};
  socklen_t peer_addr_len_ = 0;
  // Slot buffers, one batch per direction.
  std::vector<std::uint8_t> tx_buf_;
  std::vector<std::uint8_t> rx_buf_;
  std::array<std::size_t, kBatch> tx_len_{};
};

}  // namespace gn::dataplane
