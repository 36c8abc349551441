#include "netlink/nft_server.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "netlink/nft_batch.hpp"
#include "util/log.hpp"

namespace gn::netlink {

using namespace nft_batch;  // NOLINT(google-build-using-namespace): the batch pieces are this file's vocabulary

namespace {

constexpr const char* kMap6 = "dport6";
constexpr const char* kMap4 = "dport4";
// Batch-local ids, so that the rules can name the maps of the same batch.
constexpr std::uint32_t kMap6Id = 1;
constexpr std::uint32_t kMap4Id = 2;

// nft(8)'s data types (nftables include/datatype.h), which it stores with a
// set so that `nft list` can print the keys; a concatenation is
// (first << 6) | second. The kernel keeps them without looking.
constexpr std::uint32_t kTypeIpAddr = 7;
constexpr std::uint32_t kTypeIp6Addr = 8;
constexpr std::uint32_t kTypeInetService = 13;
constexpr std::uint32_t kTypeMark = 19;
constexpr std::uint32_t kConcatBits = 6;
// nftables' enum byteorder, for the set's user data.
constexpr std::uint32_t kByteorderInvalid = 0;  // what nft(8) stores for a concatenation
constexpr std::uint32_t kByteorderBigEndian = 2;

const char* map_name(bool v6) {
  return v6 ? kMap6 : kMap4;
}

std::uint32_t address_len(bool v6) {
  return v6 ? 16 : 4;
}

// map NAME { type mark . ipv6_addr|ipv4_addr : inet_service; }
void add_port_map(Batch& b, const std::string& table, bool v6) {
  SetPtr set(check_alloc(nftnl_set_alloc()));
  nftnl_set_set_u32(set.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(set.get(), NFTNL_SET_NAME, map_name(v6));
  nftnl_set_set_u32(set.get(), NFTNL_SET_ID, v6 ? kMap6Id : kMap4Id);
  nftnl_set_set_u32(set.get(), NFTNL_SET_FLAGS, NFT_SET_MAP);
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_TYPE, (kTypeMark << kConcatBits) | (v6 ? kTypeIp6Addr : kTypeIpAddr));
  // Each field of a concatenation takes whole 32-bit registers: 4 + 16 or 4 + 4.
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_LEN, 4 + address_len(v6));
  nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_TYPE, kTypeInetService);
  nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_LEN, 2);
  UdataPtr udata(check_alloc(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN)));
  if (!nftnl_udata_put_u32(udata.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderInvalid) ||
      !nftnl_udata_put_u32(udata.get(), NFTNL_UDATA_SET_DATABYTEORDER, kByteorderBigEndian))
    throw std::length_error("nftables set user data too long");
  nftnl_set_set_data(set.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(udata.get()),
                     nftnl_udata_buf_len(udata.get()));
  nlmsghdr* nlh = b.header(NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL);
  nftnl_set_nlmsg_build_payload(nlh, set.get());
  b.put(nlh);
}

void add_counter_object(Batch& b, const std::string& table, const char* name) {
  ObjPtr obj(check_alloc(nftnl_obj_alloc()));
  nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_FAMILY, NFPROTO_INET);
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_TABLE, table.c_str());
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_NAME, name);
  nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  nlmsghdr* nlh = b.header(NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL);
  nftnl_obj_nlmsg_build_payload(nlh, obj.get());
  b.put(nlh);
}

// reg 1 = (reg 1 & mask) ^ 0, on a 32-bit mark.
nftnl_expr* and_mask(std::uint32_t mask) {
  auto* e = check_alloc(nftnl_expr_alloc("bitwise"));
  const std::uint32_t zero = 0;
  nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
  nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
  nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
  return e;
}

// reg 1 = map[reg 1 ...], or the rule ends here.
nftnl_expr* lookup(bool v6) {
  auto* e = check_alloc(nftnl_expr_alloc("lookup"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
  nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map_name(v6));
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, v6 ? kMap6Id : kMap4Id);
  return e;
}

nftnl_expr* counter_ref(const char* name) {
  auto* e = check_alloc(nftnl_expr_alloc("objref"));
  nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
  nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
  return e;
}

// The rewrite of one outer family's data packets.
void add_rewrite_rule(Batch& b, const ServerTableSpec& spec, bool v6) {
  RulePtr r = new_rule(spec.table, kOutputChain);
  const std::uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
  add(r.get(), meta(NFT_META_NFPROTO));
  add(r.get(), cmp(NFT_CMP_EQ, &nfproto, 1));
  const std::uint8_t udp = IPPROTO_UDP;
  add(r.get(), meta(NFT_META_L4PROTO));
  add(r.get(), cmp(NFT_CMP_EQ, &udp, 1));
  const std::uint16_t dport = htons(spec.port);
  add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2));  // udp dport
  add(r.get(), cmp(NFT_CMP_EQ, &dport, 2));
  if (!v6) {
    // No checksum, no incremental update: it would turn "none" into a wrong
    // one. Such a packet of ours meets the drop (the device always sums).
    const std::uint16_t zero = 0;
    add(r.get(), load(NFT_PAYLOAD_TRANSPORT_HEADER, 6, 2));
    add(r.get(), cmp(NFT_CMP_NEQ, &zero, 2));
  }
  // The key: mark in the first 32-bit register, the outer destination in the
  // next ones (ip6 daddr at 24, ip daddr at 16).
  add(r.get(), meta(NFT_META_MARK));
  add(r.get(), load(NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, address_len(v6), NFT_REG32_01));
  add(r.get(), lookup(v6));
  add(r.get(), write_transport(2, 2, 6));  // udp dport, udp checksum
  if (spec.pin_source_port) {
    const std::uint16_t sport = htons(spec.source_port);
    add(r.get(), immediate(&sport, 2));
    add(r.get(), write_transport(0, 2, 6));
  }
  // Nothing after us sees our mark (the outer route lookup has used it).
  const std::uint32_t zero_mark = 0;
  add(r.get(), immediate(&zero_mark, 4));
  add(r.get(), meta_set(NFT_META_MARK));
  add(r.get(), notrack());
  add(r.get(), verdict(NF_ACCEPT));
  add_rule(b, r.get());
}

void add_output_chain(Batch& b, const ServerTableSpec& spec) {
  add_base_chain(b, spec.table, kOutputChain, NF_INET_LOCAL_OUT, kRawPriority);
  {
    // Our control messages (raw sockets, SO_MARK tag | 0): untracked like
    // the data, so that conntrack and NAT treat both alike.
    RulePtr r = new_rule(spec.table, kOutputChain);
    add(r.get(), meta(NFT_META_MARK));
    add(r.get(), cmp(NFT_CMP_EQ, &spec.mark_tag, 4));
    add(r.get(), notrack());
    add(r.get(), verdict(NF_ACCEPT));
    add_rule(b, r.get());
  }
  {
    RulePtr r = new_rule(spec.table, kOutputChain);
    add(r.get(), meta(NFT_META_MARK));
    add(r.get(), and_mask(spec.mark_mask));
    add(r.get(), cmp(NFT_CMP_NEQ, &spec.mark_tag, 4));
    add(r.get(), verdict(NF_ACCEPT));
    add_rule(b, r.get());
  }
  add_rewrite_rule(b, spec, true);
  add_rewrite_rule(b, spec, false);
  {
    // Marked for a client, but no element: never a wrong port.
    RulePtr r = new_rule(spec.table, kOutputChain);
    add(r.get(), counter_ref(kUnmappedCounter));
    add(r.get(), verdict(NF_DROP));
    add_rule(b, r.get());
  }
}

// The key as the rule builds it in the registers: the mark in host order
// (meta mark), then the address as on the wire.
std::vector<std::uint8_t> element_key(std::uint32_t mark, const net::IpAddress& outer_dst) {
  const bool v6 = outer_dst.is_v6();
  std::vector<std::uint8_t> key(4 + address_len(v6));
  std::memcpy(key.data(), &mark, 4);
  if (v6) {
    std::memcpy(key.data() + 4, outer_dst.bytes().data(), 16);
  } else {
    auto a = outer_dst.v4_bytes();
    std::memcpy(key.data() + 4, a.data(), 4);
  }
  return key;
}

void add_element_message(Batch& b, std::uint16_t type, std::uint16_t flags, const std::string& table,
                         const std::vector<std::uint8_t>& key, std::optional<std::uint16_t> port, bool v6) {
  SetPtr set(check_alloc(nftnl_set_alloc()));
  nftnl_set_set_u32(set.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(set.get(), NFTNL_SET_NAME, map_name(v6));
  nftnl_set_elem* elem = check_alloc(nftnl_set_elem_alloc());
  nftnl_set_elem_set(elem, NFTNL_SET_ELEM_KEY, key.data(), static_cast<std::uint32_t>(key.size()));
  if (port) {
    const std::uint16_t be = htons(*port);
    nftnl_set_elem_set(elem, NFTNL_SET_ELEM_DATA, &be, 2);
  }
  nftnl_set_elem_add(set.get(), elem);  // the set owns it now
  nlmsghdr* nlh = b.header(type, flags);
  nftnl_set_elems_nlmsg_build_payload(nlh, set.get());
  b.put(nlh);
}

std::string describe(std::uint32_t mark, const net::IpAddress& outer_dst) {
  return fmt::format("mark {:#x} . {}", mark, outer_dst.to_string());
}

}  // namespace

Message build_server_table_batch(const ServerTableSpec& spec) {
  // A tag of 0 would take every unmarked packet of the host for our control
  // messages; a tag outside the mask would never match.
  if (spec.mark_mask == 0 || spec.mark_tag == 0 || (spec.mark_tag & ~spec.mark_mask) != 0)
    throw std::invalid_argument(fmt::format("kernel mark {:#x}/{:#x}: the tag must be non-zero and within the mask",
                                            spec.mark_tag, spec.mark_mask));
  Batch b;
  b.begin();
  add_owned_table(b, spec.table, spec.comment);
  add_counter_object(b, spec.table, kUnmappedCounter);
  add_port_map(b, spec.table, true);
  add_port_map(b, spec.table, false);
  add_output_chain(b, spec);
  add_control_capture(b, spec.table, spec.port, spec.capture);
  b.end();
  return b.bytes();
}

Message build_port_batch(const std::string& table, PortChange change, std::uint32_t mark,
                         const net::IpAddress& outer_dst, std::uint16_t port) {
  const auto key = element_key(mark, outer_dst);
  const bool v6 = outer_dst.is_v6();
  Batch b;
  b.begin();
  if (change != PortChange::kAdd) add_element_message(b, NFT_MSG_DELSETELEM, 0, table, key, std::nullopt, v6);
  if (change != PortChange::kRemove) add_element_message(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, table, key, port, v6);
  b.end();
  return b.bytes();
}

Message build_get_unmapped_counter(const std::string& table) {
  std::vector<std::uint8_t> buf(4096);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf.data()), NFT_MSG_GETOBJ, NFPROTO_INET, 0, 0);
  ObjPtr obj(check_alloc(nftnl_obj_alloc()));
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_TABLE, table.c_str());
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_NAME, kUnmappedCounter);
  nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  nftnl_obj_nlmsg_build_payload(nlh, obj.get());
  buf.resize(nlh->nlmsg_len);
  return buf;
}

ServerTable::ServerTable(const ServerTableSpec& spec)
    : sock_(open_nfnetlink()), table_(spec.table), mark_tag_(spec.mark_tag), mark_mask_(spec.mark_mask) {
  try {
    sock_.request(build_server_table_batch(spec),
                  fmt::format("adding nftables table inet {} (ports of the clients marked {:#x}/{:#x} to port {}; "
                              "control messages to NFLOG group {})",
                              spec.table, spec.mark_tag, spec.mark_mask, spec.port, spec.capture.group));
  } catch (const NetlinkError& e) {
    // A batch is atomic: on failure nothing of it exists.
    rethrow_unsupported(e,
                        "nftables support for the server table (nf_tables inet, nft_ct notrack, nft_limit, nft_log, "
                        "nft_objref counters, maps with concatenated keys)");
  }
}

ServerTable::~ServerTable() {
  try {
    delete_inet_table(sock_, table_);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
  }
}

void ServerTable::check_mark(std::uint32_t mark, const net::IpAddress& outer_dst) const {
  if ((mark & mark_mask_) != mark_tag_ || mark == mark_tag_)
    throw std::invalid_argument(fmt::format("nftables table inet {}: {} is not a client's mark ({:#x}/{:#x}, not 0)",
                                            table_, describe(mark, outer_dst), mark_tag_, mark_mask_));
}

void ServerTable::set_port(std::uint32_t mark, const net::IpAddress& outer_dst, std::uint16_t port) {
  check_mark(mark, outer_dst);
  const std::string what =
      fmt::format("mapping {} to port {} in nftables table inet {}", describe(mark, outer_dst), port, table_);
  try {
    // Without NLM_F_EXCL an element with the same port is no change.
    sock_.request(build_port_batch(table_, PortChange::kAdd, mark, outer_dst, port), what);
  } catch (const NetlinkError& e) {
    // The key maps to another port (EEXIST; EBUSY on kernels that say so).
    if (e.code() != EEXIST && e.code() != EBUSY) throw;
    sock_.request(build_port_batch(table_, PortChange::kReplace, mark, outer_dst, port), what + " (replacing)");
  }
}

void ServerTable::remove_port(std::uint32_t mark, const net::IpAddress& outer_dst) {
  check_mark(mark, outer_dst);
  try {
    sock_.request(build_port_batch(table_, PortChange::kRemove, mark, outer_dst, 0),
                  fmt::format("removing {} from nftables table inet {}", describe(mark, outer_dst), table_));
  } catch (const NetlinkError& e) {
    if (e.code() != ENOENT) throw;
  }
}

std::uint64_t ServerTable::unmapped_drops() {
  std::uint64_t packets = 0;
  sock_.get(build_get_unmapped_counter(table_),
            fmt::format("reading counter {} of nftables table inet {}", kUnmappedCounter, table_),
            [&](const nlmsghdr* nlh) {
              ObjPtr obj(check_alloc(nftnl_obj_alloc()));
              if (nftnl_obj_nlmsg_parse(nlh, obj.get()) < 0)
                throw std::runtime_error(
                    fmt::format("nftables table inet {}: unreadable counter {}", table_, kUnmappedCounter));
              packets = nftnl_obj_get_u64(obj.get(), NFTNL_OBJ_CTR_PKTS);
            });
  return packets;
}

}  // namespace gn::netlink
