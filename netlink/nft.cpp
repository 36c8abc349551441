#include "netlink/nft.hpp"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "util/bytes.hpp"
#include "util/log.hpp"

namespace gn::netlink {
namespace {

template <typename T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table, nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;
using UdataPtr = std::unique_ptr<nftnl_udata_buf, Deleter<nftnl_udata_buf, nftnl_udata_buf_free>>;

constexpr const char* kChain = "output";
constexpr const char* kCaptureChain = "input";
// NF_IP_PRI_FILTER + 10: after the host's own input filter.
constexpr std::int32_t kCapturePriority = 10;
// NF_IP_PRI_RAW / NF_IP6_PRI_RAW: before conntrack (-200).
constexpr std::int32_t kRawPriority = -300;

template <typename T>
T* check_alloc(T* p) {
  if (!p) throw std::bad_alloc();
  return p;
}

// An nfnetlink batch under construction.
class Batch {
 public:
  Batch() : buf_(16384) {}
  nlmsghdr* begin() { return put(nftnl_batch_begin(at(), 0)); }
  void end() { put(nftnl_batch_end(at(), 0)); }
  char* at() { return reinterpret_cast<char*>(buf_.data() + used_); }
  nlmsghdr* put(nlmsghdr* nlh) {
    used_ += NLMSG_ALIGN(nlh->nlmsg_len);
    return nlh;
  }
  // Starts a message at the current position; finish with done().
  nlmsghdr* header(std::uint16_t type, std::uint16_t flags) {
    return nftnl_nlmsg_build_hdr(at(), type, NFPROTO_INET, flags | NLM_F_ACK, 0);
  }
  Message bytes() const { return Message(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(used_)); }

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t used_ = 0;
};

void add(nftnl_rule* r, nftnl_expr* e) {
  nftnl_rule_add_expr(r, e);
}

nftnl_expr* meta(std::uint32_t key) {
  auto* e = check_alloc(nftnl_expr_alloc("meta"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
  return e;
}

nftnl_expr* load(std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
  auto* e = check_alloc(nftnl_expr_alloc("payload"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  return e;
}

nftnl_expr* cmp(std::uint32_t op, const void* data, std::uint32_t len) {
  auto* e = check_alloc(nftnl_expr_alloc("cmp"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  return e;
}

// A table only we may change, deleted with our socket, carrying our mark.
void add_owned_table(Batch& b, const std::string& name, const std::string& comment) {
  TablePtr table(check_alloc(nftnl_table_alloc()));
  nftnl_table_set_u32(table.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_str(table.get(), NFTNL_TABLE_NAME, name.c_str());
  nftnl_table_set_u32(table.get(), NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
  // The comment as nft(8) stores it, so `nft list ruleset` shows our mark.
  UdataPtr udata(check_alloc(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN)));
  if (!nftnl_udata_put_strz(udata.get(), NFTNL_UDATA_TABLE_COMMENT, comment.c_str()))
    throw std::length_error("nftables comment too long: " + comment);
  nftnl_table_set_data(table.get(), NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(udata.get()),
                       nftnl_udata_buf_len(udata.get()));
  nlmsghdr* nlh = b.header(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
  nftnl_table_nlmsg_build_payload(nlh, table.get());
  b.put(nlh);
}

// A filter chain on `hook` at `priority`, accepting by default.
void add_base_chain(Batch& b, const std::string& table, const char* name, std::uint32_t hook, std::int32_t priority) {
  ChainPtr chain(check_alloc(nftnl_chain_alloc()));
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, name);
  nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, hook);
  nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, priority);
  nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  nlmsghdr* nlh = b.header(NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
  nftnl_chain_nlmsg_build_payload(nlh, chain.get());
  b.put(nlh);
}

}  // namespace

std::string source_port_table(const std::string& ifname) {
  return kTablePrefix + ifname;
}

Message build_source_port_batch(const SourcePortRule& rule) {
  Batch b;
  b.begin();

  add_owned_table(b, rule.table, rule.comment);
  add_base_chain(b, rule.table, kChain, NF_INET_LOCAL_OUT, kRawPriority);
  nlmsghdr* nlh = nullptr;

  RulePtr r(check_alloc(nftnl_rule_alloc()));
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, rule.table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, kChain);
  const bool v6 = rule.peer.is_v6();
  const std::uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
  add(r.get(), meta(NFT_META_NFPROTO));
  add(r.get(), cmp(NFT_CMP_EQ, &nfproto, 1));
  if (v6) {
    add(r.get(), load(NFT_PAYLOAD_NETWORK_HEADER, 24, 16));  // ip6 daddr
    add(r.get(), cmp(NFT_CMP_EQ, rule.peer.bytes().data(), 16));
  } else {
    auto a = rule.peer.v4_bytes();
    add(r.get(), load(NFT_PAYLOAD_NETWORK_HEADER, 16, 4));  // ip daddr
    add(r.get(), cmp(NFT_CMP_EQ, a.data(), 4));
  }
  const std::uint8_t udp = IPPROTO_UDP;
  add(r.get(), meta(NFT_META_L4PROTO));
  add(r.get(), cmp(NFT_CMP_EQ, &udp, 1));
  const std::uint16_t dport = htons(rule.peer_port);
  add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2));  // udp dport
  add(r.get(), cmp(NFT_CMP_EQ, &dport, 2));
  // GENEVE VNI: UDP header (8) + 4 bytes into the GENEVE header, 3 bytes.
  std::uint8_t vni[3];
  store24(vni, rule.vni);
  add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 12, 3));
  add(r.get(), cmp(NFT_CMP_EQ, vni, 3));
  const std::uint16_t zero = 0;
  add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 6, 2));  // udp checksum
  add(r.get(), cmp(NFT_CMP_NEQ, &zero, 2));
  add(r.get(), check_alloc(nftnl_expr_alloc("notrack")));
  const std::uint16_t sport = htons(rule.source_port);
  auto* imm = check_alloc(nftnl_expr_alloc("immediate"));
  nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
  nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, &sport, 2);
  add(r.get(), imm);
  auto* write = check_alloc(nftnl_expr_alloc("payload"));
  nftnl_expr_set_u32(write, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
  nftnl_expr_set_u32(write, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
  nftnl_expr_set_u32(write, NFTNL_EXPR_PAYLOAD_OFFSET, 0);  // udp sport
  nftnl_expr_set_u32(write, NFTNL_EXPR_PAYLOAD_LEN, 2);
  nftnl_expr_set_u32(write, NFTNL_EXPR_PAYLOAD_CSUM_TYPE, NFT_PAYLOAD_CSUM_INET);
  nftnl_expr_set_u32(write, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, 6);  // udp checksum
  nftnl_expr_set_u32(write, NFTNL_EXPR_PAYLOAD_FLAGS, 0);
  add(r.get(), write);
  nlh = b.header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  b.put(nlh);

  b.end();
  return b.bytes();
}

Message build_delete_table_batch(const std::string& name) {
  Batch b;
  b.begin();
  TablePtr table(check_alloc(nftnl_table_alloc()));
  nftnl_table_set_u32(table.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_str(table.get(), NFTNL_TABLE_NAME, name.c_str());
  nlmsghdr* nlh = b.header(NFT_MSG_DELTABLE, 0);
  nftnl_table_nlmsg_build_payload(nlh, table.get());
  b.put(nlh);
  b.end();
  return b.bytes();
}

Message build_get_tables() {
  std::vector<std::uint8_t> buf(4096);
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf.data()), NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_DUMP, 0);
  buf.resize(nlh->nlmsg_len);
  return buf;
}

std::vector<NftTable> list_inet_tables(MnlSocket& sock) {
  std::vector<NftTable> out;
  sock.dump(build_get_tables(), "listing nftables tables", [&](const nlmsghdr* nlh) {
    TablePtr t(check_alloc(nftnl_table_alloc()));
    if (nftnl_table_nlmsg_parse(nlh, t.get()) < 0) return;
    if (nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY) != NFPROTO_INET) return;
    NftTable table;
    table.name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
    table.flags = nftnl_table_get_u32(t.get(), NFTNL_TABLE_FLAGS);
    std::uint32_t len = 0;
    if (nftnl_table_is_set(t.get(), NFTNL_TABLE_USERDATA)) {
      const void* data = nftnl_table_get_data(t.get(), NFTNL_TABLE_USERDATA, &len);
      // One TLV: type, length, NUL-terminated comment.
      const auto* p = static_cast<const std::uint8_t*>(data);
      if (len >= 2 && p[0] == NFTNL_UDATA_TABLE_COMMENT && p[1] + 2u <= len && p[1] > 0)
        table.comment.assign(reinterpret_cast<const char*>(p + 2), strnlen(reinterpret_cast<const char*>(p + 2), p[1]));
    }
    out.push_back(std::move(table));
  });
  return out;
}

void delete_inet_table(MnlSocket& sock, const std::string& table) {
  try {
    sock.request(build_delete_table_batch(table), "deleting nftables table inet " + table);
  } catch (const NetlinkError& e) {
    if (e.code() != ENOENT) throw;
  }
}

Message build_control_capture_batch(const ControlCaptureRule& rule) {
  Batch b;
  b.begin();
  add_owned_table(b, rule.table, rule.comment);
  // After the host's input filter (priority 0): what it drops, we never see.
  add_base_chain(b, rule.table, kCaptureChain, NF_INET_LOCAL_IN, kCapturePriority);
  for (std::uint8_t words : rule.option_words) {
    RulePtr r(check_alloc(nftnl_rule_alloc()));
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, rule.table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, kCaptureChain);
    const std::uint8_t udp = IPPROTO_UDP;
    add(r.get(), meta(NFT_META_L4PROTO));
    add(r.get(), cmp(NFT_CMP_EQ, &udp, 1));
    const std::uint16_t dport = htons(rule.port);
    add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2));
    add(r.get(), cmp(NFT_CMP_EQ, &dport, 2));
    // UDP payload byte 0: version 0 and this options length.
    add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 8, 1));
    add(r.get(), cmp(NFT_CMP_EQ, &words, 1));
    const std::uint16_t ethernet = htons(0x6558);
    add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 10, 2));
    add(r.get(), cmp(NFT_CMP_EQ, &ethernet, 2));
    // The inner EtherType: UDP (8) + GENEVE (8) + options + two MACs (12).
    const std::uint16_t control = htons(0x88b5);
    add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 8 + 8 + 4u * words + 12, 2));
    add(r.get(), cmp(NFT_CMP_EQ, &control, 2));
    auto* limit = check_alloc(nftnl_expr_alloc("limit"));
    nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_RATE, rule.rate_per_second);
    nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_UNIT, 1);
    nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_BURST, 5);
    nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
    add(r.get(), limit);
    auto* log = check_alloc(nftnl_expr_alloc("log"));
    nftnl_expr_set_u16(log, NFTNL_EXPR_LOG_GROUP, rule.group);
    add(r.get(), log);
    nlmsghdr* nlh = b.header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    b.put(nlh);
  }
  b.end();
  return b.bytes();
}

ControlCapture::ControlCapture(const ControlCaptureRule& rule) : sock_(NETLINK_NETFILTER), table_(rule.table) {
  try {
    sock_.request(build_control_capture_batch(rule),
                  fmt::format("adding nftables table inet {} (control messages to port {} to NFLOG group {})",
                              rule.table, rule.port, rule.group));
  } catch (const NetlinkError& e) {
    rethrow_unsupported(e, "nftables support for the control capture (nf_tables, limit, log)");
  }
}

ControlCapture::~ControlCapture() {
  try {
    delete_inet_table(sock_, table_);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
  }
}

SourcePortPin::SourcePortPin(const SourcePortRule& rule) : sock_(NETLINK_NETFILTER), table_(rule.table) {
  try {
    sock_.request(build_source_port_batch(rule),
                  fmt::format("adding nftables table inet {} (source port {} towards [{}]:{})", rule.table,
                              rule.source_port, rule.peer.to_string(), rule.peer_port));
  } catch (const NetlinkError& e) {
    // A batch is atomic: on failure nothing of it exists.
    rethrow_unsupported(e, "nftables support for the source-port rule (nf_tables, nft_ct notrack, payload)");
  }
}

SourcePortPin::~SourcePortPin() {
  try {
    delete_inet_table(sock_, table_);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
  }
}

}  // namespace gn::netlink
