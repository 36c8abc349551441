#pragma once
// The userspace data plane: TAP <-> GENEVE/UDP for any number of tunnels
// sharing the endpoint's UDP sockets. Frames read from a tunnel's TAP are
// sent with the tunnel's prebuilt header in front (scatter-gather, no copy);
// datagrams received are matched to a tunnel by their outer source (one hash
// lookup, done by the endpoint), validated (codec rules, VNI, protocol,
// routing option) and their inner frame written to that tunnel's TAP.
// Control messages go to the endpoint's handler, also from sources no tunnel
// accepts yet (that is how a path is learned). Both directions move batches
// (recvmmsg / sendmmsg) of up to kBatch packets per system call; the batch
// buffers are shared by all tunnels, so a tunnel costs no buffer memory.
#include <array>
#include <cstdint>
#include <functional>
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

// One tunnel's data-path state.
struct Tunnel {
  TapDevice* tap = nullptr;
  std::uint32_t vni = 0;
  geneve::OptionId option_id;
  net::IpAddress local_v6;  // ours: a routing option must name it
  control::Counters counters;
  void* owner = nullptr;  // the endpoint's peer

  // Where data goes, set from the chosen path. Without a target, frames from
  // the TAP are dropped as no_path.
  void set_target(UdpSocket& socket, const net::Endpoint& to, const std::optional<geneve::Nat64Route>& route);
  void clear_target() { socket = nullptr; }
  bool has_target() const { return socket != nullptr; }
  const net::Endpoint& target() const { return target_; }

  UdpSocket* socket = nullptr;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  geneve::HeaderBuilder header{0};

 private:
  net::Endpoint target_;
};

class UserspaceDataplane {
 public:
  static constexpr std::size_t kBatch = 32;
  // Frames up to 64 KiB, so GSO-sized frames fit once offloads arrive.
  static constexpr std::size_t kSlotSize = 65536;

  // The tunnel whose data is accepted from `from`, or nullptr.
  using Lookup = std::function<Tunnel*(const net::Endpoint& from)>;
  // A control message (inner frame) from `from`, received on `socket`;
  // `tunnel` is null when the source is not one any tunnel accepts data
  // from. `vni` is the GENEVE header's.
  using ControlHandler = std::function<void(Tunnel* tunnel, std::uint32_t vni, std::span<const std::uint8_t> frame,
                                            const net::Endpoint& from, UdpSocket& socket)>;

  UserspaceDataplane(Lookup lookup, ControlHandler on_control);

  // Drain the tunnel's TAP (up to one batch) and send. Returns frames handled.
  std::size_t on_tap_readable(Tunnel& t);
  // Receive up to one batch on `sock` and deliver. Returns datagrams handled.
  std::size_t on_udp_readable(UdpSocket& sock);
  // Sends one control frame with `header` in front. False if the send failed.
  static bool send_control(UdpSocket& sock, const net::Endpoint& to, std::span<const std::uint8_t> header,
                           std::span<const std::uint8_t> frame);

  // Drops of datagrams no tunnel accepts.
  const control::Counters& unattributed() const { return unattributed_; }

 private:
  void deliver(std::span<const std::uint8_t> datagram, const net::Endpoint& from, UdpSocket& sock);
  void send_batch(Tunnel& t, std::size_t count);

  Lookup lookup_;
  ControlHandler on_control_;
  control::Counters unattributed_;
  // Slot buffers, one batch per direction, left uninitialised: pages are
  // touched only as large frames use them.
  std::unique_ptr<std::uint8_t[]> tx_buf_;
  std::unique_ptr<std::uint8_t[]> rx_buf_;
  std::array<std::size_t, kBatch> tx_len_{};
};

}  // namespace gn::dataplane
