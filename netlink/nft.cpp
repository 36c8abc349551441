#include "netlink/nft.hpp"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "netlink/nft_batch.hpp"
#include "util/bytes.hpp"
#include "util/log.hpp"

namespace gn::netlink {

using namespace nft_batch;  // NOLINT(google-build-using-namespace): the batch pieces are this file's vocabulary

std::string source_port_table(const std::string& ifname) {
  return kTablePrefix + ifname;
}

Message build_source_port_batch(const SourcePortRule& rule) {
  Batch b;
  b.begin();

  add_owned_table(b, rule.table, rule.comment);
  add_base_chain(b, rule.table, kOutputChain, NF_INET_LOCAL_OUT, kRawPriority);

  RulePtr r = new_rule(rule.table, kOutputChain);
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
  add(r.get(), notrack());
  const std::uint16_t sport = htons(rule.source_port);
  add(r.get(), immediate(&sport, 2));
  add(r.get(), write_transport(0, 2, 6));  // udp sport, udp checksum
  add_rule(b, r.get());

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
  add_control_capture(b, rule.table, rule.port, rule.capture);
  b.end();
  return b.bytes();
}

ControlCapture::ControlCapture(const ControlCaptureRule& rule) : sock_(open_nfnetlink()), table_(rule.table) {
  try {
    sock_.request(build_control_capture_batch(rule),
                  fmt::format("adding nftables table inet {} (control messages to port {} to NFLOG group {})",
                              rule.table, rule.port, rule.capture.group));
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

SourcePortPin::SourcePortPin(const SourcePortRule& rule) : sock_(open_nfnetlink()), table_(rule.table) {
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
