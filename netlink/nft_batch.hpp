#pragma once
// Pieces of nfnetlink batches shared by the nftables tables we install
// (nft.cpp: source-port pin and control capture; nft_server.cpp: the
// server's table). Internal to netlink/: the public interface is nft.hpp
// and nft_server.hpp.
#include <netinet/in.h>  // before the linux/ headers, which include linux/in.h

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nf_tables.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "netlink/mnl.hpp"
#include "netlink/nft.hpp"

struct nlmsghdr;

namespace gn::netlink::nft_batch {

template <typename T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table, nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set, nftnl_set_free>>;
using ObjPtr = std::unique_ptr<nftnl_obj, Deleter<nftnl_obj, nftnl_obj_free>>;
using UdataPtr = std::unique_ptr<nftnl_udata_buf, Deleter<nftnl_udata_buf, nftnl_udata_buf_free>>;

// NF_IP_PRI_RAW / NF_IP6_PRI_RAW: before conntrack (-200).
inline constexpr std::int32_t kRawPriority = -300;
// NF_IP_PRI_FILTER + 10: after the host's own input filter.
inline constexpr std::int32_t kCapturePriority = 10;
inline constexpr const char* kOutputChain = "output";
inline constexpr const char* kCaptureChain = "input";

template <typename T>
T* check_alloc(T* p) {
  if (!p) throw std::bad_alloc();
  return p;
}

// An nfnetlink batch under construction: begin(), messages, end().
class Batch {
 public:
  Batch() : buf_(16384) {}
  void begin();
  void end();
  // Starts a message of family inet at the current position, flagged
  // NLM_F_ACK; finish with put().
  nlmsghdr* header(std::uint16_t type, std::uint16_t flags);
  nlmsghdr* put(nlmsghdr* nlh);
  Message bytes() const;

 private:
  char* at();
  std::vector<std::uint8_t> buf_;
  std::size_t used_ = 0;
};

// A NETLINK_NETFILTER socket; KernelUnsupported("... nfnetlink") if the
// kernel has no such bus.
MnlSocket open_nfnetlink();

// Expressions (owned by the caller until added to a rule).
nftnl_expr* meta(std::uint32_t key, std::uint32_t dreg = NFT_REG_1);
nftnl_expr* meta_set(std::uint32_t key, std::uint32_t sreg = NFT_REG_1);
nftnl_expr* load(std::uint32_t base, std::uint32_t offset, std::uint32_t len, std::uint32_t dreg = NFT_REG_1);
nftnl_expr* cmp(std::uint32_t op, const void* data, std::uint32_t len);
nftnl_expr* immediate(const void* data, std::uint32_t len);
nftnl_expr* verdict(std::int32_t code);  // NF_ACCEPT, NF_DROP
nftnl_expr* notrack();
// Writes reg 1 at transport header + offset and updates the UDP/TCP
// checksum at transport header + csum_offset incrementally.
nftnl_expr* write_transport(std::uint32_t offset, std::uint32_t len, std::uint32_t csum_offset);

// A rule of family inet in table/chain; add expressions, then add_rule().
RulePtr new_rule(const std::string& table, const char* chain);
void add(nftnl_rule* r, nftnl_expr* e);
void add_rule(Batch& b, nftnl_rule* r);

// A table only we may change, deleted with our socket, carrying our mark.
void add_owned_table(Batch& b, const std::string& name, const std::string& comment);
// A filter chain on `hook` at `priority`, accepting by default.
void add_base_chain(Batch& b, const std::string& table, const char* name, std::uint32_t hook, std::int32_t priority);
// The control capture chain and its rules (nft.hpp, ControlCapture) in `table`.
void add_control_capture(Batch& b, const std::string& table, std::uint16_t port, const CaptureParams& capture);

}  // namespace gn::netlink::nft_batch
