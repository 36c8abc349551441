#pragma once
// Segmentation and coalescing offloads for the userspace data plane, as pure
// functions over byte buffers (no I/O; unit-tested and fuzzed).
//
// A TAP opened with IFF_VNET_HDR and TUNSETOFFLOAD hands us frames of up to
// 64 KiB behind a virtio-net header (TSO/USO "super-frames", or frames whose
// L4 checksum is left to us) and accepts the same from us. On the way out a
// super-frame is planned here as MTU-sized inner frames: each segment's
// headers (behind room for the GENEVE header) are written apart, with
// correct lengths and checksums, and its payload stays where the TAP read
// put it, so that all of them leave gathered in one UDP_SEGMENT send and the
// only copy of the payload is the kernel's. On the way in, consecutive
// in-order TCP segments of one flow are coalesced, again without a copy,
// into one super-frame written to the TAP with a GSO header, so the inner
// stack sees one packet where the wire had forty. docs/architecture.md,
// "Offloads", says why each rule is what it is; wireguard-go's
// tun/offload_linux.go is the model.
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gn::dataplane::offload {

// struct virtio_net_hdr (legacy, 10 bytes, host byte order: the TAP is not
// switched to TUNSETVNETLE/BE, so it uses the host's).
inline constexpr std::size_t kVnetHeaderLen = 10;
inline constexpr std::uint8_t kFlagNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr std::uint8_t kFlagDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID
inline constexpr std::uint8_t kGsoNone = 0;
inline constexpr std::uint8_t kGsoTcpV4 = 1;
inline constexpr std::uint8_t kGsoTcpV6 = 4;
inline constexpr std::uint8_t kGsoUdpL4 = 5;  // VIRTIO_NET_HDR_GSO_UDP_L4 (Linux 6.2+ TAP)
inline constexpr std::uint8_t kGsoEcn = 0x80;
// The largest frame a TAP hands over or takes: Ethernet, an IPv6 header and
// a 64 KiB payload (an IPv4 packet's total length is smaller still).
inline constexpr std::size_t kMaxFrame = 14 + 40 + 65535;

struct VnetHeader {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = kGsoNone;
  std::uint16_t hdr_len = 0;
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;
};
VnetHeader read_vnet(std::span<const std::uint8_t, kVnetHeaderLen> b);
void write_vnet(const VnetHeader& h, std::span<std::uint8_t, kVnetHeaderLen> b);

enum class SegmentError : std::uint8_t {
  kOk,
  kBadVnet,    // the header contradicts the frame (csum_start past the end, unknown GSO type, ...)
  kBadPacket,  // the frame is not the IPv4/IPv6 TCP/UDP packet the GSO type says
  kNoRoom,     // the segments do not fit the output buffer
  kTooManySegments,
};
std::string_view to_string(SegmentError e);

// How one frame is cut into segments without copying its payload. Segment
// i is two pieces: header_stride bytes at i * header_stride in the caller's
// header buffer (`prefix` bytes of room for the GENEVE header, then that
// segment's own Ethernet, IP and TCP/UDP headers), and payload_size(i) bytes
// of the frame from payload_at(i). Sent as one UDP_SEGMENT message the pieces
// make datagrams of datagram_size() bytes, the last one shorter.
struct SegmentPlan {
  std::size_t count = 0;
  std::size_t header_stride = 0;
  std::size_t payload_offset = 0;  // segment 0's payload in the frame
  std::size_t mss = 0;             // payload of every segment but the last
  std::size_t last_payload = 0;
  std::size_t payload_at(std::size_t i) const { return payload_offset + i * mss; }
  std::size_t payload_size(std::size_t i) const { return i + 1 == count ? last_payload : mss; }
  std::size_t datagram_size() const { return header_stride + mss; }
  std::size_t header_bytes() const { return count * header_stride; }
};

// Plans the segments of `frame` (the bytes after the virtio-net header
// `vh`): at most vh.gso_size bytes of L4 payload each, with lengths, IPv4
// IDs and header checksums, TCP sequence numbers and flags (FIN and PSH on
// the last segment only, CWR on the first only) fixed and every L4 checksum
// computed, summing the payload where it lies. A frame without GSO is one
// segment whose payload is the whole frame, its checksum completed in place
// if vh asks for that (the only write to `frame`). Nothing is trusted: every
// length is checked against the frame, the headers must fit `headers`, and
// there are never more than `max_segments` segments.
SegmentError plan_segments(const VnetHeader& vh, std::span<std::uint8_t> frame, std::size_t prefix,
                           std::span<std::uint8_t> headers, std::size_t max_segments, SegmentPlan& plan);

// Whether the frame's IPv4/IPv6 TCP or UDP checksum verifies (false for
// anything else, and for IPv4 UDP with checksum 0).
bool l4_checksum_valid(std::span<const std::uint8_t> frame);

// Prepares a trusted, unmodified TCP or UDP frame to be written to the TAP
// as the kernel keeps a locally made packet (CHECKSUM_PARTIAL): the L4
// checksum field is set to the pseudo-header sum and vh asks whoever needs
// the checksum to complete it. Local delivery then takes the frame without
// re-verifying it, and forwarding computes a correct checksum, even when the
// sender left it unfilled (docs/architecture.md, "Checksums on receive").
// A TCP packet longer than `max_packet` (the interface MTU: a kernel GENEVE
// sender on the same host may hand over unsegmented super-frames) is marked
// GSO with segments that fit it, so that forwarding can split it again.
// False (vh untouched) for anything that is not IPv4/IPv6 TCP or UDP.
bool make_partial(std::span<std::uint8_t> frame, VnetHeader& vh, std::size_t max_packet = 65535);

// Coalesces consecutive in-order TCP segments of one flow (the received side
// of the data plane's GRO). Feed inner frames in arrival order with add();
// when it returns false the frame was not taken: flush() what is pending
// and add() again (a frame that cannot start a super-frame is refused by an
// empty coalescer too, and is then written alone). Every frame handed to
// add() must be trusted to be intact (see docs/architecture.md): the
// super-frame's checksum is left for the TAP to take as NEEDS_CSUM.
//
// Nothing is copied: the coalescer keeps views of the frames it took (the
// first whole, whose headers it rewrites to be the super-frame's, then each
// other's payload) and flush() hands them out as an iovec list for one
// writev. The frames must stay where they are, unchanged, until flush().
class TcpCoalescer {
 public:
  // Segments per super-frame: a 64 KiB frame of 1 KiB segments.
  static constexpr std::size_t kMaxSegments = 64;

  // `max_packet`: the largest IP packet (the interface MTU) a segment may
  // be, so that the super-frame re-segments into packets that fit.
  bool add(std::span<std::uint8_t> frame, std::size_t max_packet = 65535);
  bool empty() const { return segments_ == 0; }
  std::size_t segments() const { return segments_; }
  // The pending super-frame, its virtio-net header first, as pieces for
  // writev; resets the coalescer. A single segment leaves as make_partial()
  // leaves it. The pieces stay valid until the next add().
  std::span<const iovec> flush();

 private:
  bool start(std::span<std::uint8_t> frame, std::size_t max_packet);
  std::array<std::uint8_t, kVnetHeaderLen> vnet_{};
  std::array<iovec, kMaxSegments + 1> pieces_{};
  // pieces_[1] is the first segment's frame, whose headers lead.
  std::uint8_t* first() const { return static_cast<std::uint8_t*>(pieces_[1].iov_base); }
  std::size_t len_ = 0;  // super-frame bytes after the vnet header
  std::size_t segments_ = 0;
  std::size_t l4_ = 0, hdr_len_ = 0;  // offsets in the frame
  bool v6_ = false;
  std::size_t gso_size_ = 0;  // payload of the first segment
  bool closed_ = false;       // the last segment was short or had PSH
  std::uint32_t next_seq_ = 0;
  std::uint16_t next_id_ = 0;
};

}  // namespace gn::dataplane::offload
