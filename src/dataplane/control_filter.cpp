#include "dataplane/control_filter.hpp"

#include "geneve/codec.hpp"
#include "geneve/control.hpp"
#include "net/protocol.hpp"

namespace gn::dataplane {
namespace {

// Offsets from the start of the UDP header.
constexpr std::uint32_t kUdpDestPort = 2;
constexpr std::uint32_t kGeneveFirst = 8;  // Ver (2 bits) | Opt Len (6 bits, 4-byte words)
constexpr std::uint32_t kGeneveProto = 8 + 2;
// Inner EtherType: UDP header, GENEVE fixed header, then the options
// (added to X) and the two MAC addresses.
constexpr std::uint32_t kInnerEtherType = 8 + 8 + 12;
constexpr std::uint32_t kIpv6Udp = 40;
constexpr std::uint32_t kAccept = 0xffff;  // whole packet (control messages are small)

// Instructions with forward jumps to named places, resolved at the end:
// classic BPF jumps are relative and only forward, and counting them by
// hand is how filters go wrong.
class Program {
 public:
  enum Label : int { kReject, kAcceptLabel, kIpv6, kLabels };
  void stmt(std::uint16_t code, std::uint32_t k) { code_.push_back({code, 0, 0, k, -1, -1}); }
  // Jump to `yes` if the test holds, else to `no` (-1: the next instruction).
  void jump(std::uint16_t code, std::uint32_t k, int yes, int no) { code_.push_back({code, 0, 0, k, yes, no}); }
  void place(Label l) { at_[l] = static_cast<int>(code_.size()); }
  std::vector<sock_filter> finish() {
    std::vector<sock_filter> out;
    for (std::size_t i = 0; i < code_.size(); ++i) {
      auto& c = code_[i];
      auto rel = [&](int label) -> std::uint8_t {
        return label < 0 ? 0 : static_cast<std::uint8_t>(at_[label] - static_cast<int>(i) - 1);
      };
      out.push_back(sock_filter{c.code, rel(c.yes), rel(c.no), c.k});
    }
    return out;
  }

 private:
  struct Insn {
    std::uint16_t code;
    std::uint8_t jt, jf;
    std::uint32_t k;
    int yes, no;
  };
  std::vector<Insn> code_;
  int at_[kLabels] = {};
};

}  // namespace

std::vector<sock_filter> control_filter(std::uint16_t port) {
  using P = Program;
  P p;
  const int next = -1;
  // Version nibble: 4 or 6.
  p.stmt(BPF_LD | BPF_B | BPF_ABS, 0);
  p.stmt(BPF_ALU | BPF_RSH | BPF_K, 4);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, 6, P::kIpv6, next);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, 4, next, P::kReject);
  // IPv4: UDP, not a fragment; X = header length.
  p.stmt(BPF_LD | BPF_B | BPF_ABS, 9);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, net::kProtoUdp, next, P::kReject);
  p.stmt(BPF_LD | BPF_H | BPF_ABS, 6);
  p.jump(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, P::kReject, next);
  p.stmt(BPF_LDX | BPF_B | BPF_MSH, 0);
  p.stmt(BPF_LD | BPF_H | BPF_IND, kUdpDestPort);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, port, next, P::kReject);
  p.stmt(BPF_LD | BPF_B | BPF_IND, kGeneveFirst);
  p.jump(BPF_JMP | BPF_JSET | BPF_K, 0xc0, P::kReject, next);
  p.stmt(BPF_LD | BPF_H | BPF_IND, kGeneveProto);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, geneve::kProtoEthernet, next, P::kReject);
  // X = header length + options length.
  p.stmt(BPF_LD | BPF_B | BPF_IND, kGeneveFirst);
  p.stmt(BPF_ALU | BPF_AND | BPF_K, 0x3f);
  p.stmt(BPF_ALU | BPF_LSH | BPF_K, 2);
  p.stmt(BPF_ALU | BPF_ADD | BPF_X, 0);
  p.stmt(BPF_MISC | BPF_TAX, 0);
  p.stmt(BPF_LD | BPF_H | BPF_IND, kInnerEtherType);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, geneve::kControlEtherType, P::kAcceptLabel, P::kReject);
  // IPv6: UDP right after the fixed header.
  p.place(P::kIpv6);
  p.stmt(BPF_LD | BPF_B | BPF_ABS, 6);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, net::kProtoUdp, next, P::kReject);
  p.stmt(BPF_LD | BPF_H | BPF_ABS, kIpv6Udp + kUdpDestPort);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, port, next, P::kReject);
  p.stmt(BPF_LD | BPF_B | BPF_ABS, kIpv6Udp + kGeneveFirst);
  p.jump(BPF_JMP | BPF_JSET | BPF_K, 0xc0, P::kReject, next);
  p.stmt(BPF_LD | BPF_H | BPF_ABS, kIpv6Udp + kGeneveProto);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, geneve::kProtoEthernet, next, P::kReject);
  p.stmt(BPF_LD | BPF_B | BPF_ABS, kIpv6Udp + kGeneveFirst);
  p.stmt(BPF_ALU | BPF_AND | BPF_K, 0x3f);
  p.stmt(BPF_ALU | BPF_LSH | BPF_K, 2);
  p.stmt(BPF_MISC | BPF_TAX, 0);
  p.stmt(BPF_LD | BPF_H | BPF_IND, kIpv6Udp + kInnerEtherType);
  p.jump(BPF_JMP | BPF_JEQ | BPF_K, geneve::kControlEtherType, P::kAcceptLabel, P::kReject);
  p.place(P::kAcceptLabel);
  p.stmt(BPF_RET | BPF_K, kAccept);
  p.place(P::kReject);
  p.stmt(BPF_RET | BPF_K, 0);
  return p.finish();
}

}  // namespace gn::dataplane
