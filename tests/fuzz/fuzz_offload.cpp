// libFuzzer target for the offloads (dataplane/offload.hpp): any virtio-net
// header and frame must be planned into segments or refused without
// touching a byte outside the buffers; whatever is planned must lie inside
// the frame and the header buffer as promised, and the coalescer must take
// any sequence of frames (the segments, and the raw input) and never
// describe a super-frame larger than a TAP takes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <span>
#include <vector>

#include "dataplane/offload.hpp"

using namespace gn::dataplane::offload;

namespace {

// A flushed super-frame must fit what a TAP takes, in at most as many
// pieces as promised.
void check_pieces(std::span<const iovec> pieces) {
  std::size_t n = 0;
  for (const iovec& p : pieces) n += p.iov_len;
  if (pieces.size() > TcpCoalescer::kMaxSegments + 1 || n > kVnetHeaderLen + kMaxFrame) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kVnetHeaderLen) return 0;
  std::span<const std::uint8_t> in(data, size);
  VnetHeader vh = read_vnet(in.first<kVnetHeaderLen>());
  std::vector<std::uint8_t> frame(in.begin() + kVnetHeaderLen, in.end());
  const std::vector<std::uint8_t> raw = frame;
  static std::vector<std::uint8_t> headers(64 * 1024);
  SegmentPlan p;
  const std::size_t prefix = 32;
  if (plan_segments(vh, frame, prefix, headers, 128, p) == SegmentError::kOk) {
    if (p.count == 0 || p.count > 128 || p.header_bytes() > headers.size() || p.header_stride < prefix ||
        p.last_payload > p.mss || p.payload_at(p.count - 1) + p.last_payload > frame.size())
      std::abort();
    // Each segment whole, as the receiver sees it after the GENEVE header;
    // they live until the coalescer is done with them.
    std::deque<std::vector<std::uint8_t>> segs;
    TcpCoalescer c;
    for (std::size_t i = 0; i < p.count; ++i) {
      const std::uint8_t* h = headers.data() + i * p.header_stride;
      auto& g = segs.emplace_back(h + prefix, h + p.header_stride);
      g.insert(g.end(), frame.begin() + static_cast<std::ptrdiff_t>(p.payload_at(i)),
               frame.begin() + static_cast<std::ptrdiff_t>(p.payload_at(i) + p.payload_size(i)));
      (void)l4_checksum_valid(g);
      if (!c.add(g)) {
        check_pieces(c.flush());
        (void)c.add(g);
      }
    }
    check_pieces(c.flush());
  }
  // The raw frame through the receive-side functions too.
  std::vector<std::uint8_t> copy = raw, second = raw;
  (void)l4_checksum_valid(copy);
  VnetHeader ph;
  (void)make_partial(copy, ph);
  TcpCoalescer c;
  (void)c.add(copy);
  (void)c.add(second);
  check_pieces(c.flush());
  return 0;
}
