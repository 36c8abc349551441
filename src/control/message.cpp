#include "control/message.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <ctime>

#include <algorithm>

#include "net/protocol.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/log.hpp"
#include "util/sodium.hpp"

namespace gn::control {
namespace {

constexpr std::uint8_t kFlagMac = 0x01;

// IPv4 travels IPv4-mapped (6.2).
void put_address(std::uint8_t* p, const net::IpAddress& a) {
  if (a.is_v6()) {
    std::copy(a.bytes().begin(), a.bytes().end(), p);
    return;
  }
  std::fill(p, p + 10, 0);
  p[10] = p[11] = 0xff;
  auto v4 = a.v4_bytes();
  std::copy(v4.begin(), v4.end(), p + 12);
}
net::IpAddress get_address(const std::uint8_t* p) {
  std::array<std::uint8_t, 16> b;
  std::copy(p, p + 16, b.begin());
  return net::Endpoint{net::IpAddress::v6(b), 0}.unmapped().address;
}

bool valid_kind(std::uint8_t k) {
  return k <= static_cast<std::uint8_t>(PathKind::kLearned);
}

std::array<std::uint8_t, kMacLen> compute_mac(std::uint32_t vni, std::span<const std::uint8_t> signed_part,
                                              const Key& key) {
  ensure_sodium();
  crypto_auth_hmacsha512256_state st;
  crypto_auth_hmacsha512256_init(&st, key.data(), key.size());
  std::uint8_t vni_bytes[4] = {};  // the VNI as the GENEVE header carries it, with its reserved octet
  store24(vni_bytes, vni);
  crypto_auth_hmacsha512256_update(&st, vni_bytes, sizeof vni_bytes);
  crypto_auth_hmacsha512256_update(&st, signed_part.data(), signed_part.size());
  std::array<std::uint8_t, kMacLen> mac;
  crypto_auth_hmacsha512256_final(&st, mac.data());
  return mac;
}

}  // namespace

std::string_view to_string(PathKind k) {
  switch (k) {
    case PathKind::kNone: return "none";
    case PathKind::kDirect: return "direct";
    case PathKind::kNat64: return "nat64";
    case PathKind::kLearned: return "learned";
  }
  return "?";
}

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::kOk: return "ok";
    case DecodeError::kMalformed: return "control_malformed";
    case DecodeError::kUnauthenticated: return "control_unauthenticated";
    case DecodeError::kBadMac: return "control_bad_mac";
  }
  return "?";
}

std::vector<std::uint8_t> build_frame(const Message& m, std::uint32_t vni, std::span<const std::uint8_t, 6> src_mac,
                                      const Key* key) {
  std::size_t fields = m.type == MessageType::kReply ? kReplyBodyLen : kProbeBodyLen;
  std::size_t body_len = fields + (key ? kMacLen : 0);
  std::vector<std::uint8_t> f(geneve::kControlHeaderLen + body_len, 0);
  std::copy(geneve::kControlMac.begin(), geneve::kControlMac.end(), f.begin());
  std::copy(src_mac.begin(), src_mac.end(), f.begin() + 6);
  store16(&f[12], geneve::kControlEtherType);
  std::copy(geneve::kControlMagic.begin(), geneve::kControlMagic.end(), f.begin() + 14);
  f[18] = geneve::kControlVersion;
  f[19] = static_cast<std::uint8_t>(m.type);
  store16(&f[20], static_cast<std::uint16_t>(body_len));
  std::uint8_t* b = &f[geneve::kControlHeaderLen];
  put_address(b, m.sender);
  put_address(b + 16, m.receiver);
  store64(b + 32, m.counter);
  store64(b + 40, m.probe_id);
  b[48] = static_cast<std::uint8_t>(m.sent_on);
  b[49] = static_cast<std::uint8_t>(m.in_use);
  b[50] = key ? kFlagMac : 0;
  if (m.type == MessageType::kReply) {
    net::Endpoint obs = m.observed.value_or(net::Endpoint{});
    put_address(b + 52, obs.address);
    store16(b + 68, obs.port);
  }
  if (key) {
    auto mac = compute_mac(vni, {f.data() + net::kEthernetHeaderLen, 8 + fields}, *key);
    std::copy(mac.begin(), mac.end(), b + fields);
  }
  return f;
}

std::optional<Received> parse_frame(std::span<const std::uint8_t> frame) {
  auto cf = geneve::parse_control(frame);
  if (!cf || cf->version != geneve::kControlVersion) return std::nullopt;
  std::size_t fields;
  Received r;
  if (cf->type == static_cast<std::uint8_t>(MessageType::kProbe))
    fields = kProbeBodyLen;
  else if (cf->type == static_cast<std::uint8_t>(MessageType::kReply))
    fields = kReplyBodyLen;
  else
    return std::nullopt;
  const auto& body = cf->body;
  if (body.size() < fields) return std::nullopt;
  const std::uint8_t* b = body.data();
  if (!valid_kind(b[48]) || !valid_kind(b[49])) return std::nullopt;
  r.has_mac = (b[50] & kFlagMac) != 0;
  if (r.has_mac && body.size() < fields + kMacLen) return std::nullopt;
  Message& m = r.message;
  m.type = static_cast<MessageType>(cf->type);
  m.sender = get_address(b);
  m.receiver = get_address(b + 16);
  m.counter = load64(b + 32);
  m.probe_id = load64(b + 40);
  m.sent_on = static_cast<PathKind>(b[48]);
  m.in_use = static_cast<PathKind>(b[49]);
  if (m.type == MessageType::kReply) m.observed = net::Endpoint{get_address(b + 52), load16(b + 68)};
  r.signed_part = frame.subspan(net::kEthernetHeaderLen, 8 + fields);
  if (r.has_mac) r.mac = body.subspan(fields, kMacLen);
  return r;
}

DecodeError verify(const Received& r, std::uint32_t vni, const Key* key) {
  if (!key) return DecodeError::kOk;
  if (!r.has_mac) return DecodeError::kUnauthenticated;
  auto mac = compute_mac(vni, r.signed_part, *key);
  if (sodium_memcmp(mac.data(), r.mac.data(), kMacLen) != 0) return DecodeError::kBadMac;
  return DecodeError::kOk;
}

Key parse_key(std::string_view text, const std::string& what) {
  ensure_sodium();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  Key key{};
  std::size_t len = 0;
  if (sodium_base642bin(key.data(), key.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != kKeyLen)
    throw UsageError(what + ": not a base64-encoded 32-byte key (make one with `geneve-ctl genkey`)");
  return key;
}

Key read_key_file(const std::string& path) {
  // A key is 44 characters of base64; anything much longer is not a key file.
  constexpr std::size_t kMaxKeyFileSize = 4096;
  std::string text = read_user_file(path, "key file", kMaxKeyFileSize);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077))
    log::warn("key file {} is readable by group or others; chmod 600 it", path);
  return parse_key(text, "key file " + path);
}

std::string generate_key_base64() {
  ensure_sodium();
  Key key;
  randombytes_buf(key.data(), key.size());
  char out[sodium_base64_ENCODED_LEN(kKeyLen, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(out, sizeof out, key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  return out;
}

std::uint64_t random_probe_id() {
  ensure_sodium();
  std::uint64_t id;
  randombytes_buf(&id, sizeof id);
  return id;
}

bool ReplayWindow::accept(std::uint64_t counter) {
  if (!any_ || counter > highest_) {
    std::uint64_t shift = any_ ? counter - highest_ : 64;
    seen_ = shift >= 64 ? 0 : seen_ << shift;
    seen_ |= 1;
    highest_ = counter;
    any_ = true;
    return true;
  }
  std::uint64_t age = highest_ - counter;
  if (age >= 64) return false;
  std::uint64_t bit = std::uint64_t{1} << age;
  if (seen_ & bit) return false;
  seen_ |= bit;
  return true;
}

CounterSource::CounterSource() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  next_ = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace gn::control
