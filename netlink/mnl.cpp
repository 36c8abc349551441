#include "netlink/mnl.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "util/log.hpp"

namespace gn::netlink {
namespace {

constexpr std::size_t kBufferSize = 16384;
constexpr int kReceiveTimeoutSeconds = 5;

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

// The type of the attribute `at` bytes into the sent message numbered `seq`.
std::optional<std::uint16_t> attribute_at(const std::vector<nlmsghdr*>& sent, std::uint32_t seq, std::uint32_t at) {
  for (const nlmsghdr* s : sent) {
    if (s->nlmsg_seq != seq || at < MNL_NLMSG_HDRLEN || at + sizeof(nlattr) > s->nlmsg_len) continue;
    nlattr na;
    std::memcpy(&na, reinterpret_cast<const std::uint8_t*>(s) + at, sizeof na);
    return static_cast<std::uint16_t>(na.nla_type & NLA_TYPE_MASK);
  }
  return std::nullopt;
}

struct Extack {
  std::string text;
  std::optional<std::uint16_t> attr;
};

// The extended ack of an error or NLMSG_DONE message: its TLVs start
// `offset` bytes into the payload; an offset the kernel points at is looked
// up in our message numbered `seq`.
Extack read_extack(const nlmsghdr* nlh, std::size_t offset, const std::vector<nlmsghdr*>& sent, std::uint32_t seq) {
  Extack out;
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return out;
  parse_attributes(nlh, offset, [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case NLMSGERR_ATTR_MSG:
        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) out.text = mnl_attr_get_str(a);
        break;
      case NLMSGERR_ATTR_OFFS:
        if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) out.attr = attribute_at(sent, seq, mnl_attr_get_u32(a));
        break;
      default: break;
    }
  });
  return out;
}

// Netlink subsystems give the errno with either sign.
int errno_of(int error) {
  return error < 0 ? -error : error;
}

// Says once per process that the kernel refused a socket option we can do
// without, and what that costs.
void note_refused(std::atomic<bool>& noted, const char* option, int err, const char* consequence) {
  if (noted.exchange(true)) return;
  log::info("the kernel refuses netlink option {} ({}): {}", option, std::strerror(err), consequence);
}

// One request and its answer, shared with the C callbacks of mnl_cb_run2.
struct Exchange {
  Exchange(const std::string& w, const std::vector<nlmsghdr*>& s) : what(w), sent(s) {}
  const std::string& what;
  const std::vector<nlmsghdr*>& sent;
  std::uint32_t first = 0, last = 0;                              // our sequence numbers
  std::size_t acks_pending = 0;                                   // request(): acknowledgements to come
  const std::function<void(const nlmsghdr*)>* on_data = nullptr;  // get(), dump()
  bool many = false;                                              // dump(): data until NLMSG_DONE
  std::exception_ptr error;                                       // thrown by a callback, rethrown past libmnl

  // Answers to this request only: anything else is left over from an
  // earlier one that failed before all its answers were read.
  bool ours(const nlmsghdr* nlh) const { return nlh->nlmsg_seq >= first && nlh->nlmsg_seq <= last; }
};

int on_error(const nlmsghdr* nlh, void* data) {
  auto& x = *static_cast<Exchange*>(data);
  if (!x.ours(nlh)) return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) {
    x.error = std::make_exception_ptr(SystemError(x.what + ": a truncated error message from the kernel", EBADMSG));
    return MNL_CB_ERROR;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  if (err->error != 0) {
    // NLM_F_CAPPED, not our socket option, says whether the kernel echoed
    // the request before the TLVs (it does when NETLINK_CAP_ACK is off).
    std::size_t offset = sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len >= sizeof(nlmsghdr))
      offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
    try {
      Extack e = read_extack(nlh, offset, x.sent, err->msg.nlmsg_seq);
      x.error = std::make_exception_ptr(NetlinkError(x.what, errno_of(err->error), e.text, e.attr));
    } catch (...) {
      x.error = std::current_exception();
    }
    return MNL_CB_ERROR;
  }
  if (x.on_data) return MNL_CB_STOP;  // an acknowledgement ends a get or dump
  if (x.acks_pending > 0) --x.acks_pending;
  return x.acks_pending > 0 ? MNL_CB_OK : MNL_CB_STOP;
}

int on_done(const nlmsghdr* nlh, void* data) {
  auto& x = *static_cast<Exchange*>(data);
  if (!x.ours(nlh)) return MNL_CB_OK;
  // A dump that failed part way ends with a negative errno here.
  int status = 0;
  if (mnl_nlmsg_get_payload_len(nlh) >= sizeof status) std::memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof status);
  if (status >= 0) return MNL_CB_STOP;
  try {
    Extack e = read_extack(nlh, sizeof status, x.sent, nlh->nlmsg_seq);
    x.error = std::make_exception_ptr(NetlinkError(x.what + ": the dump ended early", -status, e.text, e.attr));
  } catch (...) {
    x.error = std::current_exception();
  }
  return MNL_CB_ERROR;
}

int on_data(const nlmsghdr* nlh, void* data) {
  auto& x = *static_cast<Exchange*>(data);
  if (!x.ours(nlh) || !x.on_data) return MNL_CB_OK;
  try {
    (*x.on_data)(nlh);
  } catch (...) {
    x.error = std::current_exception();
    return MNL_CB_ERROR;
  }
  return x.many ? MNL_CB_OK : MNL_CB_STOP;
}

// Reads answers and hands them to mnl_cb_run2 until a callback says the
// exchange is over; throws what went wrong.
void receive(mnl_socket* sock, std::uint32_t portid, Exchange& x, std::size_t buffer_size) {
  // NLMSG_NOOP and NLMSG_OVERRUN have no entry: skipped.
  mnl_cb_t control[NLMSG_MIN_TYPE] = {};
  control[NLMSG_ERROR] = on_error;
  control[NLMSG_DONE] = on_done;
  std::vector<std::uint8_t> buf(buffer_size);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        throw SystemError(fmt::format("{}: no answer from the kernel within {} s", x.what, kReceiveTimeoutSeconds),
                          ETIMEDOUT);
      if (errno == ENOSPC)
        throw SystemError(fmt::format("{}: the kernel's answer did not fit in {} bytes", x.what, buf.size()), ENOSPC);
      throw_errno(x.what + ": reading the kernel's answer");
    }
    // Sequence number 0: libmnl would check one, but a batch spans several
    // and leftovers of an earlier request must be skipped, not refused;
    // Exchange::ours checks the range. libmnl checks the port id.
    int r = mnl_cb_run2(buf.data(), static_cast<std::size_t>(n), 0, portid, on_data, &x, control, NLMSG_MIN_TYPE);
    if (r == MNL_CB_STOP) return;
    if (r == MNL_CB_ERROR) {
      if (x.error) std::rethrow_exception(x.error);
      if (errno == EINTR)
        throw SystemError(x.what + ": the kernel's dump was interrupted by a concurrent change (NLM_F_DUMP_INTR)",
                          EINTR);
      throw_errno(x.what + ": an answer not from the kernel or not well-formed");
    }
  }
}

struct AttrVisit {
  const AttrFn& fn;
  std::exception_ptr error;
};

int visit_attr(const nlattr* a, void* data) {
  auto& v = *static_cast<AttrVisit*>(data);
  try {
    v.fn(a);
  } catch (...) {
    v.error = std::current_exception();
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

void rethrow(const AttrVisit& v) {
  if (v.error) std::rethrow_exception(v.error);
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
  if (mnl_socket_bind(sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    throw_errno(fmt::format("binding a netlink socket (bus {})", bus));
  portid_ = mnl_socket_get_portid(sock_.get());
  int on = 1;
  // Extended acks: the kernel's own words for what it refused (Linux 4.12+).
  ext_ack_ = mnl_socket_setsockopt(sock_.get(), NETLINK_EXT_ACK, &on, sizeof on) == 0;
  if (!ext_ack_) {
    int err = errno;
    static std::atomic<bool> noted{false};
    note_refused(noted, "NETLINK_EXT_ACK", err, "its errors will come without its explanation");
  }
  // Capped acks: errors without our request echoed back (Linux 4.3+).
  // Without them the echo is read past, and the read buffer grows to hold it.
  cap_ack_ = mnl_socket_setsockopt(sock_.get(), NETLINK_CAP_ACK, &on, sizeof on) == 0;
  if (!cap_ack_) {
    int err = errno;
    static std::atomic<bool> noted{false};
    note_refused(noted, "NETLINK_CAP_ACK", err, "its errors will echo the whole request");
  }
  // A request the kernel never answers must not hang the caller forever.
  timeval tv{kReceiveTimeoutSeconds, 0};
  if (setsockopt(mnl_socket_get_fd(sock_.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
    throw_errno(
        fmt::format("setting a {} s receive timeout on a netlink socket (bus {})", kReceiveTimeoutSeconds, bus));
}

std::size_t MnlSocket::receive_buffer(std::size_t base, std::size_t request_size) const {
  return cap_ack_ ? base : base + request_size;
}

void MnlSocket::request(Message msgs, const std::string& what) {
  auto sent = split(msgs);
  Exchange x{what, sent};
  x.first = seq_ + 1;
  for (nlmsghdr* nlh : sent) {
    nlh->nlmsg_seq = ++seq_;
    nlh->nlmsg_pid = 0;
    if (nlh->nlmsg_flags & NLM_F_ACK) ++x.acks_pending;
  }
  x.last = seq_;
  if (mnl_socket_sendto(sock_.get(), msgs.data(), msgs.size()) < 0) throw_errno(what + ": sending the request");
  if (x.acks_pending == 0) return;
  receive(sock_.get(), portid_, x, receive_buffer(kBufferSize, msgs.size()));
}

void MnlSocket::answer(Message msg, const std::string& what, std::uint16_t set_flags, std::uint16_t clear_flags,
                       bool many, const std::function<void(const nlmsghdr*)>& fn) {
  auto sent = split(msg);
  if (sent.size() != 1) throw std::logic_error(what + ": expects one request message");
  sent[0]->nlmsg_flags = static_cast<std::uint16_t>((sent[0]->nlmsg_flags | set_flags) & ~clear_flags);
  sent[0]->nlmsg_seq = ++seq_;
  Exchange x{what, sent};
  x.first = x.last = seq_;
  x.on_data = &fn;
  x.many = many;
  if (mnl_socket_sendto(sock_.get(), msg.data(), msg.size()) < 0) throw_errno(what + ": sending the request");
  receive(sock_.get(), portid_, x, receive_buffer(kBufferSize * 2, msg.size()));
}

void MnlSocket::dump(Message msg, const std::string& what, const std::function<void(const nlmsghdr*)>& fn) {
  answer(std::move(msg), what, NLM_F_DUMP, 0, true, fn);
}

void MnlSocket::get(Message msg, const std::string& what, const std::function<void(const nlmsghdr*)>& fn) {
  // No NLM_F_ACK: the answer is the one message or an error, and nothing
  // is left behind to be mistaken for the next request's acknowledgement.
  answer(std::move(msg), what, 0, NLM_F_ACK, false, fn);
}

int MnlSocket::fd() const {
  return mnl_socket_get_fd(sock_.get());
}

bool MnlSocket::receive_unsolicited(const std::function<void(const nlmsghdr*)>& fn) {
  // One NFLOG message holds one packet (at most 64 KiB) and its attributes.
  if (unsolicited_buf_.empty()) unsolicited_buf_.resize(kBufferSize * 4 + 65536);
  ssize_t n = ::recv(fd(), unsolicited_buf_.data(), unsolicited_buf_.size(), MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
    if (errno == ENOBUFS) {
      ++overruns_;
      return true;
    }
    throw_errno("reading a netlink socket");
  }
  int len = static_cast<int>(n);
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(unsolicited_buf_.data()); mnl_nlmsg_ok(nlh, len);
       nlh = mnl_nlmsg_next(nlh, &len)) {
    if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) fn(nlh);
  }
  return true;
}

void parse_attributes(const nlmsghdr* nlh, std::size_t header_len, const AttrFn& fn) {
  // libmnl would start past the end of a message shorter than its header.
  if (MNL_ALIGN(header_len) > mnl_nlmsg_get_payload_len(nlh)) return;
  AttrVisit v{fn, {}};
  mnl_attr_parse(nlh, static_cast<unsigned>(header_len), visit_attr, &v);
  rethrow(v);
}

void parse_nested(const nlattr* a, const AttrFn& fn) {
  AttrVisit v{fn, {}};
  mnl_attr_parse_nested(a, visit_attr, &v);
  rethrow(v);
}

void parse_payload(const void* data, std::size_t len, const AttrFn& fn) {
  AttrVisit v{fn, {}};
  mnl_attr_parse_payload(data, len, visit_attr, &v);
  rethrow(v);
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
