#pragma once
// The gateway's I/O shell: the TUN device, the epoll loop (single thread),
// a signalfd for SIGINT/SIGTERM, a timerfd for expiry and the status socket.
// All packet logic is in Translator.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "control/control_socket.hpp"
#include "dataplane/offload.hpp"
#include "dataplane/tap.hpp"
#include "nat64/config.hpp"
#include "nat64/translator.hpp"
#include "util/event_loop.hpp"
#include "util/fd.hpp"

namespace gn::nat64 {

class Gateway {
 public:
  // Creates the status socket, the TUN device (MTU set, up) and the event
  // descriptors. Call block_exit_signals() first.
  explicit Gateway(const GatewayConfig& config);
  // Runs until SIGINT or SIGTERM; the TUN device goes when the Gateway does.
  void run();

 private:
  void on_tun_readable();
  // The virtio-net header of a packet read, and of one to write.
  static Offload offload_of(std::span<const std::uint8_t, dataplane::offload::kVnetHeaderLen> vnet);
  static void write_offload(const Offload& o, std::span<std::uint8_t, dataplane::offload::kVnetHeaderLen> vnet,
                            bool v6);
  void on_timer();
  std::string status_json() const;
  std::string offload_text() const;

  GatewayConfig config_;
  Translator translator_;
  // Before everything watched in it: destroyed last.
  EventLoop loop_;
  std::unique_ptr<control::StatusServer> status_server_;
  std::optional<dataplane::TapDevice> tun_;
  Fd timer_fd_;
  std::uint64_t ticks_ = 0;  // of the one-second timer
  std::chrono::steady_clock::time_point started_;
  std::vector<std::uint8_t> in_buf_;
  std::vector<std::uint8_t> out_buf_;
};

}  // namespace gn::nat64
