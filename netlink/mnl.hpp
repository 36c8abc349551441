#pragma once
// One netlink socket wrapper (libmnl) for every request the kernel data plane
// sends: rtnetlink (links, tc) and nfnetlink (nftables). Messages are built
// elsewhere as plain bytes (pure functions, unit-tested without privileges)
// and only sent here. Every kernel error becomes a NetlinkError whose what()
// names the operation, the errno text and, when the kernel gave one, its
// extended-ack message and the offending attribute.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/error.hpp"

struct mnl_socket;
struct nlmsghdr;
struct nlattr;

namespace gn::netlink {

// A kernel refusal of a netlink request. code() is the errno.
class NetlinkError : public SystemError {
 public:
  NetlinkError(const std::string& context, int err, std::string extack, std::optional<std::uint16_t> attr);
  // The kernel's extended-ack message ("Unknown device type"), may be empty.
  const std::string& extack() const { return extack_; }
  // The type of the attribute the kernel pointed at, if it did.
  std::optional<std::uint16_t> attribute() const { return attr_; }

 private:
  std::string extack_;
  std::optional<std::uint16_t> attr_;
};

// The running kernel lacks a feature (GENEVE, a tc classifier or action, an
// nftables expression): the caller can fall back to the userspace data plane.
class KernelUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Turns a NetlinkError that means "this kernel cannot do that" (EOPNOTSUPP,
// ENOENT for an unknown tc kind, EAFNOSUPPORT, EPROTONOSUPPORT) into
// KernelUnsupported with `feature` in the message; rethrows others as they are.
[[noreturn]] void rethrow_unsupported(const NetlinkError& e, const std::string& feature);

// A message (or several, back to back) ready to send.
using Message = std::vector<std::uint8_t>;

class MnlSocket {
 public:
  // bus: NETLINK_ROUTE or NETLINK_NETFILTER. Extended acks and capped acks
  // are asked for; a kernel that refuses them is noted (log, once) and
  // served without them. Throws SystemError if the socket cannot be opened,
  // bound or given its receive timeout.
  explicit MnlSocket(int bus);
  MnlSocket(const MnlSocket&) = delete;
  MnlSocket& operator=(const MnlSocket&) = delete;

  // Sends `msgs` (one or more netlink messages; a nfnetlink batch too),
  // numbering them, and waits until every message flagged NLM_F_ACK is
  // acknowledged. Throws NetlinkError("<what>: ...") on the first error.
  void request(Message msgs, const std::string& what);

  // Sends one dump request and calls `fn` for every message of the answer.
  void dump(Message msg, const std::string& what, const std::function<void(const nlmsghdr*)>& fn);

  // Sends one request whose answer is a single message (RTM_GETLINK for one
  // link; NLM_F_ACK is cleared); calls `fn` with it.
  void get(Message msg, const std::string& what, const std::function<void(const nlmsghdr*)>& fn);

  // Messages the kernel sends unasked (an NFLOG group's packets): one
  // non-blocking read, `fn` for each whole message in it. False when
  // nothing was queued; ENOBUFS (the kernel dropped messages because we read
  // too slowly) is counted in overruns() and is not an error. Throws
  // SystemError on any other socket error.
  bool receive_unsolicited(const std::function<void(const nlmsghdr*)>& fn);
  std::uint64_t overruns() const { return overruns_; }
  // For an event loop, with receive_unsolicited().
  int fd() const;

  // Whether the kernel took NETLINK_EXT_ACK: without it errors come
  // without the kernel's text or offending attribute.
  bool extended_acks() const { return ext_ack_; }

 private:
  struct Close {
    void operator()(mnl_socket* s) const;
  };
  // Sends one request message (get, dump) and passes its answer to fn.
  void answer(Message msg, const std::string& what, std::uint16_t set_flags, std::uint16_t clear_flags, bool many,
              const std::function<void(const nlmsghdr*)>& fn);
  // How many bytes one read must hold for the answers to `request_size`
  // bytes of requests.
  std::size_t receive_buffer(std::size_t base, std::size_t request_size) const;
  std::unique_ptr<mnl_socket, Close> sock_;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_;
  bool ext_ack_ = false;
  bool cap_ack_ = false;
  std::uint64_t overruns_ = 0;
  std::vector<std::uint8_t> unsolicited_buf_;
};

// Helpers for builders: a message buffer that grows as attributes are added.
// Builders use libmnl's mnl_attr_put* on `header()`; `finish()` copies out.
class MessageBuffer {
 public:
  MessageBuffer();
  nlmsghdr* put_header(std::uint16_t type, std::uint16_t flags);
  // Appends the finished message to `out`.
  void append_to(Message& out) const;
  Message bytes() const;
  nlmsghdr* header() const { return nlh_; }

 private:
  std::vector<std::uint8_t> buf_;
  nlmsghdr* nlh_ = nullptr;
};

// Attribute iteration through libmnl (mnl_attr_parse*): fn is called for
// each well-formed attribute, in order; iteration stops at the first
// malformed one (length past the end). An exception thrown by fn stops the
// iteration and is rethrown to the caller (never through libmnl's C frames).
// fn still checks a payload's length before reading it (mnl_attr_validate).
using AttrFn = std::function<void(const nlattr*)>;
// The attributes of a message after its family header of `header_len` bytes.
void parse_attributes(const nlmsghdr* nlh, std::size_t header_len, const AttrFn& fn);
// The attributes nested in `a`.
void parse_nested(const nlattr* a, const AttrFn& fn);
// The attributes in [data, data+len).
void parse_payload(const void* data, std::size_t len, const AttrFn& fn);

}  // namespace gn::netlink
