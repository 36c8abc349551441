// libFuzzer target for the offloads (dataplane/offload.hpp): any virtio-net
// header and frame must segment or be refused without touching a byte
// outside the buffers; whatever segments must be laid out as promised, and
// the coalescer must take any sequence of frames (the segments, and the
// raw input) and never build a frame larger than its buffer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "dataplane/offload.hpp"

using namespace gn::dataplane::offload;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kVnetHeaderLen) return 0;
  std::span<const std::uint8_t> in(data, size);
  VnetHeader vh = read_vnet(in.first<kVnetHeaderLen>());
  std::span<const std::uint8_t> frame = in.subspan(kVnetHeaderLen);
  static std::vector<std::uint8_t> out(256 * 1024);
  static std::vector<std::uint8_t> cbuf(kVnetHeaderLen + kMaxFrame);
  Segments s;
  const std::size_t prefix = 32;
  if (segment(vh, frame, prefix, out, 128, s) == SegmentError::kOk) {
    if (s.count == 0 || s.count > 128 || s.total() > out.size() || s.last > s.stride || s.last < prefix) std::abort();
    TcpCoalescer c(cbuf);
    for (std::size_t i = 0; i < s.count; ++i) {
      std::span<const std::uint8_t> g(out.data() + i * s.stride + prefix,
                                      (i + 1 == s.count ? s.last : s.stride) - prefix);
      (void)l4_checksum_valid(g);
      if (!c.add(g)) {
        auto f = c.flush();
        if (f.size() > cbuf.size()) std::abort();
        (void)c.add(g);
      }
    }
    if (c.flush().size() > cbuf.size()) std::abort();
  }
  // The raw frame through the receive-side functions too.
  std::vector<std::uint8_t> copy(frame.begin(), frame.end());
  (void)l4_checksum_valid(copy);
  VnetHeader ph;
  (void)make_partial(copy, ph);
  TcpCoalescer c(cbuf);
  (void)c.add(frame);
  (void)c.add(frame);
  if (c.flush().size() > cbuf.size()) std::abort();
  return 0;
}
