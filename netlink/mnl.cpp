#include "netlink/mnl.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace gn::netlink {
namespace {

constexpr std::size_t kBufferSize = 16384;

std::string describe(const std::string& extack, std::optional<std::uint16_t> attr) {
  std::string s;
  if (!extack.empty()) s += " (kernel: " + extack + ")";
  if (attr) s += fmt::format(" [attribute type {}]", *attr);
  return s;
}

// The messages of `msgs`, in order.
std::vector<nlmsghdr*> split(Message& msgs) {
  std::vector<nlmsghdr*> out;
  std::size_t off = 0;
  while (off + sizeof(nlmsghdr) <= msgs.size()) {
    auto* nlh = reinterpret_cast<nlmsghdr*>(msgs.data() + off);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || off + nlh->nlmsg_len > msgs.size()) break;
    out.push_back(nlh);
    off += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  return out;
}

// Reads the extended ack of an error message: its text and, if the kernel
// pointed at an attribute, the type of that attribute in the message we sent.
void read_extack(const nlmsghdr* nlh, const std::vector<nlmsghdr*>& sent, std::string& text,
                 std::optional<std::uint16_t>& attr) {
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  // NETLINK_CAP_ACK is on: the original message is not echoed past its header.
  std::size_t off = sizeof(nlmsgerr);
  const auto* base = static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(nlh));
  std::size_t payload = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - sizeof(nlmsghdr);
  while (off + sizeof(nlattr) <= payload) {
    const auto* a = reinterpret_cast<const nlattr*>(base + off);
    if (a->nla_len < sizeof(nlattr) || off + a->nla_len > payload) break;
    const auto* data = reinterpret_cast<const char*>(a) + NLA_HDRLEN;
    std::size_t len = a->nla_len - NLA_HDRLEN;
    std::uint16_t type = a->nla_type & NLA_TYPE_MASK;
    if (type == NLMSGERR_ATTR_MSG) {
      text.assign(data, strnlen(data, len));
    } else if (type == NLMSGERR_ATTR_OFFS && len == 4) {
      std::uint32_t at;
      std::memcpy(&at, data, 4);
      for (const nlmsghdr* s : sent) {
        if (s->nlmsg_seq != err->msg.nlmsg_seq) continue;
        if (at + sizeof(nlattr) <= s->nlmsg_len) {
          nlattr na;
          std::memcpy(&na, reinterpret_cast<const std::uint8_t*>(s) + at, sizeof na);
          attr = na.nla_type & NLA_TYPE_MASK;
        }
      }
    }
    off += NLA_ALIGN(a->nla_len);
  }
}

}  // namespace

NetlinkError::NetlinkError(const std::string& context, int err, std::string extack, std::optional<std::uint16_t> attr)
    : SystemError(context + describe(extack, attr), err), extack_(std::move(extack)), attr_(attr) {}

void rethrow_unsupported(const NetlinkError& e, const std::string& feature) {
  switch (e.code()) {
    case EOPNOTSUPP:
    case ENOENT:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT: throw KernelUnsupported(fmt::format("this kernel has no {}: {}", feature, e.what()));
    default: throw e;
  }
}

void MnlSocket::Close::operator()(mnl_socket* s) const {
  mnl_socket_close(s);
}

MnlSocket::MnlSocket(int bus)
    : sock_(mnl_socket_open2(bus, SOCK_CLOEXEC)), seq_(static_cast<std::uint32_t>(time(nullptr))) {
  if (!sock_) throw_errno(fmt::format("opening a netlink socket (bus {})", bus));
  if (mnl_socket_bind(sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0) throw_errno("binding a netlink socket");
  portid_ = mnl_socket_get_portid(sock_.get());
  int on = 1;
  // Extended acks: the kernel's own words for what it refused.
  mnl_socket_setsockopt(sock_.get(), NETLINK_EXT_ACK, &on, sizeof on);
  mnl_socket_setsockopt(sock_.get(), NETLINK_CAP_ACK, &on, sizeof on);
  // A request the kernel never answers must not hang the caller forever.
  timeval tv{5, 0};
  setsockopt(mnl_socket_get_fd(sock_.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

[[noreturn]] void MnlSocket::throw_error(const nlmsghdr* nlh, const std::vector<nlmsghdr*>& sent,
                                         const std::string& what) {
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  std::string text;
  std::optional<std::uint16_t> attr;
  read_extack(nlh, sent, text, attr);
  throw NetlinkError(what, -err->error, text, attr);
}

void MnlSocket::receive(std::size_t buffer_size, const std::string& what,
                        const std::function<bool(const nlmsghdr*)>& on_message) {
  std::vector<std::uint8_t> buf(buffer_size);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(what + ": reading the kernel's answer");
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
      if (!on_message(nlh)) return;
  }
}

void MnlSocket::request(Message msgs, const std::string& what) {
  auto sent = split(msgs);
  std::size_t pending = 0;
  const std::uint32_t first = seq_ + 1;
  for (nlmsghdr* nlh : sent) {
    nlh->nlmsg_seq = ++seq_;
    nlh->nlmsg_pid = 0;
    if (nlh->nlmsg_flags & NLM_F_ACK) ++pending;
  }
  const std::uint32_t last = seq_;
  if (mnl_socket_sendto(sock_.get(), msgs.data(), msgs.size()) < 0) throw_errno(what + ": sending the request");
  if (pending == 0) return;
  receive(kBufferSize, what, [&](const nlmsghdr* nlh) {
    // Only answers to this request: anything older is a leftover.
    if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < first || nlh->nlmsg_seq > last) return true;
    if (static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh))->error != 0) throw_error(nlh, sent, what);
    return --pending > 0;
  });
}

void MnlSocket::answer(Message msg, const std::string& what, std::uint16_t set_flags, std::uint16_t clear_flags,
                       bool many, const std::function<void(const nlmsghdr*)>& fn) {
  auto sent = split(msg);
  if (sent.size() != 1) throw std::logic_error(what + ": expects one request message");
  sent[0]->nlmsg_flags = static_cast<std::uint16_t>((sent[0]->nlmsg_flags | set_flags) & ~clear_flags);
  sent[0]->nlmsg_seq = ++seq_;
  if (mnl_socket_sendto(sock_.get(), msg.data(), msg.size()) < 0) throw_errno(what + ": sending the request");
  receive(kBufferSize * 2, what, [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_seq != seq_) return true;
    if (nlh->nlmsg_type == NLMSG_DONE) return false;
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      if (static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh))->error == 0) return false;
      throw_error(nlh, sent, what);
    }
    fn(nlh);
    return many;
  });
}

void MnlSocket::dump(Message msg, const std::string& what, const std::function<void(const nlmsghdr*)>& fn) {
  answer(std::move(msg), what, NLM_F_DUMP, 0, true, fn);
}

void MnlSocket::get(Message msg, const std::string& what, const std::function<void(const nlmsghdr*)>& fn) {
  // No NLM_F_ACK: the answer is the one message or an error, and nothing
  // is left behind to be mistaken for the next request's acknowledgement.
  answer(std::move(msg), what, 0, NLM_F_ACK, false, fn);
}

void for_each_attr(const void* data, std::size_t len, const std::function<void(const nlattr*)>& fn) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::size_t off = 0;
  while (off + sizeof(nlattr) <= len) {
    const auto* a = reinterpret_cast<const nlattr*>(p + off);
    if (a->nla_len < sizeof(nlattr) || off + a->nla_len > len) return;
    fn(a);
    off += NLA_ALIGN(a->nla_len);
  }
}

void for_each_nested(const nlattr* a, const std::function<void(const nlattr*)>& fn) {
  for_each_attr(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a), fn);
}

void for_each_attr(const nlmsghdr* nlh, std::size_t header_len, const std::function<void(const nlattr*)>& fn) {
  std::size_t hdr = MNL_ALIGN(header_len);
  if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + hdr) return;
  for_each_attr(static_cast<const std::uint8_t*>(mnl_nlmsg_get_payload(nlh)) + hdr,
                nlh->nlmsg_len - MNL_NLMSG_HDRLEN - hdr, fn);
}

MessageBuffer::MessageBuffer() : buf_(kBufferSize) {}

nlmsghdr* MessageBuffer::put_header(std::uint16_t type, std::uint16_t flags) {
  nlh_ = mnl_nlmsg_put_header(buf_.data());
  nlh_->nlmsg_type = type;
  nlh_->nlmsg_flags = flags;
  return nlh_;
}

void MessageBuffer::append_to(Message& out) const {
  auto* p = reinterpret_cast<const std::uint8_t*>(nlh_);
  std::size_t aligned = NLMSG_ALIGN(nlh_->nlmsg_len);
  out.insert(out.end(), p, p + nlh_->nlmsg_len);
  out.resize(out.size() + (aligned - nlh_->nlmsg_len), 0);
}

Message MessageBuffer::bytes() const {
  Message out;
  append_to(out);
  return out;
}

}  // namespace gn::netlink
