#include "netlink/nft_batch.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <arpa/inet.h>
#include <cerrno>
#include <stdexcept>

#include <fmt/format.h>

namespace gn::netlink::nft_batch {

void Batch::begin() {
  put(nftnl_batch_begin(at(), 0));
}

void Batch::end() {
  put(nftnl_batch_end(at(), 0));
}

char* Batch::at() {
  // Every message of our batches fits many times over; running out would be
  // a builder bug, not a kernel's answer.
  if (buf_.size() - used_ < 4096) throw std::length_error("nftables batch buffer full");
  return reinterpret_cast<char*>(buf_.data() + used_);
}

nlmsghdr* Batch::put(nlmsghdr* nlh) {
  used_ += NLMSG_ALIGN(nlh->nlmsg_len);
  return nlh;
}

nlmsghdr* Batch::header(std::uint16_t type, std::uint16_t flags) {
  return nftnl_nlmsg_build_hdr(at(), type, NFPROTO_INET, flags | NLM_F_ACK, 0);
}

Message Batch::bytes() const {
  return Message(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(used_));
}

MnlSocket open_nfnetlink() {
  try {
    return MnlSocket(NETLINK_NETFILTER);
  } catch (const SystemError& e) {
    if (e.code() == EPROTONOSUPPORT) throw KernelUnsupported(fmt::format("this kernel has no nfnetlink: {}", e.what()));
    throw;
  }
}

nftnl_expr* meta(std::uint32_t key, std::uint32_t dreg) {
  auto* e = check_alloc(nftnl_expr_alloc("meta"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
  return e;
}

nftnl_expr* meta_set(std::uint32_t key, std::uint32_t sreg) {
  auto* e = check_alloc(nftnl_expr_alloc("meta"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
  return e;
}

nftnl_expr* load(std::uint32_t base, std::uint32_t offset, std::uint32_t len, std::uint32_t dreg) {
  auto* e = check_alloc(nftnl_expr_alloc("payload"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
  return e;
}

nftnl_expr* cmp(std::uint32_t op, const void* data, std::uint32_t len) {
  auto* e = check_alloc(nftnl_expr_alloc("cmp"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  return e;
}

nftnl_expr* immediate(const void* data, std::uint32_t len) {
  auto* e = check_alloc(nftnl_expr_alloc("immediate"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
  nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
  return e;
}

nftnl_expr* verdict(std::int32_t code) {
  auto* e = check_alloc(nftnl_expr_alloc("immediate"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(code));
  return e;
}

nftnl_expr* notrack() {
  return check_alloc(nftnl_expr_alloc("notrack"));
}

nftnl_expr* write_transport(std::uint32_t offset, std::uint32_t len, std::uint32_t csum_offset) {
  auto* e = check_alloc(nftnl_expr_alloc("payload"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE, NFT_PAYLOAD_CSUM_INET);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, csum_offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_FLAGS, 0);
  return e;
}

RulePtr new_rule(const std::string& table, const char* chain) {
  RulePtr r(check_alloc(nftnl_rule_alloc()));
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain);
  return r;
}

void add(nftnl_rule* r, nftnl_expr* e) {
  nftnl_rule_add_expr(r, e);
}

void add_rule(Batch& b, nftnl_rule* r) {
  nlmsghdr* nlh = b.header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
  nftnl_rule_nlmsg_build_payload(nlh, r);
  b.put(nlh);
}

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

void add_control_capture(Batch& b, const std::string& table, std::uint16_t port, const CaptureParams& capture) {
  // After the host's input filter (priority 0): what it drops, we never see.
  add_base_chain(b, table, kCaptureChain, NF_INET_LOCAL_IN, kCapturePriority);
  for (std::uint8_t words : capture.option_words) {
    RulePtr r = new_rule(table, kCaptureChain);
    const std::uint8_t udp = IPPROTO_UDP;
    add(r.get(), meta(NFT_META_L4PROTO));
    add(r.get(), cmp(NFT_CMP_EQ, &udp, 1));
    const std::uint16_t dport = htons(port);
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
    nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_RATE, capture.rate_per_second);
    nftnl_expr_set_u64(limit, NFTNL_EXPR_LIMIT_UNIT, 1);
    nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_BURST, capture.burst);
    nftnl_expr_set_u32(limit, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
    add(r.get(), limit);
    auto* log = check_alloc(nftnl_expr_alloc("log"));
    nftnl_expr_set_u16(log, NFTNL_EXPR_LOG_GROUP, capture.group);
    add(r.get(), log);
    add_rule(b, r.get());
  }
}

}  // namespace gn::netlink::nft_batch
