#include "cascade/http/tracking.hpp"

#include <boost/beast/http/field.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdlib>

namespace cascade::http {

namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kDomain{"cascade/track/v1\0", 17};
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kHeaderBytes = 1 + 1 + 8 + 1;
constexpr std::size_t kMaxTokenChars = 4096;
constexpr unsigned char kVersion = 1;

constexpr std::array<signed char, 256> make_decode_table() {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  return t;
}
constexpr auto kDecode = make_decode_table();

}  // namespace

std::string_view token_error_name(TokenError error) {
  switch (error) {
    case TokenError::Malformed: return "malformed";
    case TokenError::BadSignature: return "bad_signature";
    case TokenError::Expired: return "expired";
    case TokenError::WrongKind: return "wrong_kind";
  }
  return "?";
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = kDecode[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero: otherwise two spellings would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

bool is_safe_redirect_url(std::string_view url) {
  std::string_view rest;
  if (url.size() > 8 && (url.substr(0, 8) == "https://" || url.substr(0, 8) == "HTTPS://")) rest = url.substr(8);
  else if (url.size() > 7 && (url.substr(0, 7) == "http://" || url.substr(0, 7) == "HTTP://")) rest = url.substr(7);
  else return false;
  // A host must follow: "https:///evil" or "https://\\evil" are how open redirects hide.
  if (rest.empty() || rest.front() == '/' || rest.front() == '\\') return false;
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '\\') return false;
  }
  return url.size() <= 2048;
}

std::optional<TrackingKey> TrackingKey::from_secret(std::string_view secret, std::string* error) {
  if (secret.size() < 16) {
    if (error) *error = "the tracking key must be at least 16 bytes long";
    return std::nullopt;
  }
  return TrackingKey{std::string{secret}};
}

std::optional<TrackingKey> TrackingKey::from_env(const char* name, std::string* error) {
  const char* value = std::getenv(name);
  if (!value || !*value) {
    if (error) *error = fmt::format("{} is not set", name);
    return std::nullopt;
  }
  return from_secret(value, error);
}

std::string TrackingKey::tag(std::string_view payload) const {
  std::string input;
  input.reserve(kDomain.size() + payload.size());
  input.append(kDomain);
  input.append(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), kTagBytes);
}

MintResult TrackingKey::mint(const TrackingToken& token) const {
  MintResult out;
  if (token.message_id.empty() || token.message_id.size() > 255) {
    out.error = "the message id must be 1 to 255 bytes";
    return out;
  }
  if (token.kind == TrackKind::Click && !is_safe_redirect_url(token.url)) {
    out.error = "a click token needs an http(s) URL with a host and no spaces or control characters";
    return out;
  }
  if (token.kind == TrackKind::Open && !token.url.empty()) {
    out.error = "an open token carries no URL";
    return out;
  }
  if (token.expires_at <= 0) {
    out.error = "the expiry must be a positive Unix time";
    return out;
  }
  std::string payload;
  payload += static_cast<char>(kVersion);
  payload += static_cast<char>(token.kind);
  const auto expiry = static_cast<std::uint64_t>(token.expires_at);
  for (int shift = 56; shift >= 0; shift -= 8) payload += static_cast<char>((expiry >> shift) & 0xFF);
  payload += static_cast<char>(token.message_id.size());
  payload += token.message_id;
  payload += token.url;
  out.token = base64url_encode(payload) + "." + base64url_encode(tag(payload));
  if (out.token.size() > kMaxTokenChars) {
    out.token.clear();
    out.error = "the token would be too long (shorten the URL)";
  }
  return out;
}

VerifyResult TrackingKey::verify(std::string_view text, TrackKind expected, std::int64_t now_unix) const {
  VerifyResult out;
  const auto fail = [&](TokenError e, std::string reason) {
    out.error = e;
    out.reason = std::move(reason);
    return out;
  };
  if (text.empty() || text.size() > kMaxTokenChars) return fail(TokenError::Malformed, "empty or too long");
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || text.find('.', dot + 1) != std::string_view::npos)
    return fail(TokenError::Malformed, "not payload.tag");
  const auto payload = base64url_decode(text.substr(0, dot));
  const auto given_tag = base64url_decode(text.substr(dot + 1));
  if (!payload || !given_tag) return fail(TokenError::Malformed, "not base64url");
  if (given_tag->size() != kTagBytes) return fail(TokenError::Malformed, "wrong tag length");
  if (payload->size() < kHeaderBytes + 1) return fail(TokenError::Malformed, "payload too short");
  const std::string want = tag(*payload);
  if (CRYPTO_memcmp(want.data(), given_tag->data(), kTagBytes) != 0)
    return fail(TokenError::BadSignature, "signature does not match");
  // Signed by us from here on; the checks below guard against our own older or buggier mints.
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>((*payload)[i]); };
  if (byte(0) != kVersion) return fail(TokenError::Malformed, "unknown version");
  const char kind = static_cast<char>(byte(1));
  if (kind != 'o' && kind != 'c') return fail(TokenError::Malformed, "unknown kind");
  std::uint64_t expiry = 0;
  for (std::size_t i = 2; i < 10; ++i) expiry = (expiry << 8) | byte(i);
  const std::size_t id_len = byte(10);
  if (id_len == 0 || kHeaderBytes + id_len > payload->size()) return fail(TokenError::Malformed, "bad message id length");
  TrackingToken token;
  token.kind = static_cast<TrackKind>(kind);
  token.message_id = payload->substr(kHeaderBytes, id_len);
  token.url = payload->substr(kHeaderBytes + id_len);
  if (expiry > static_cast<std::uint64_t>(INT64_MAX)) return fail(TokenError::Malformed, "bad expiry");
  token.expires_at = static_cast<std::int64_t>(expiry);
  if (token.kind != expected) return fail(TokenError::WrongKind, "an open token used as a click or back");
  if (token.kind == TrackKind::Click && !is_safe_redirect_url(token.url))
    return fail(TokenError::Malformed, "unsafe target URL");
  if (token.kind == TrackKind::Open && !token.url.empty()) return fail(TokenError::Malformed, "open token with a URL");
  if (now_unix >= token.expires_at) return fail(TokenError::Expired, "expired");
  out.token = std::move(token);
  return out;
}

std::string_view pixel_gif() {
  // GIF89a, 1×1, one transparent colour.
  static constexpr unsigned char gif[] = {
      0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
      0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
      0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B};
  return {reinterpret_cast<const char*>(gif), sizeof gif};
}

namespace {

void no_cache(Response& res) {
  res.set(bhttp::field::cache_control, "no-store, no-cache, must-revalidate, max-age=0");
  res.set(bhttp::field::pragma, "no-cache");
  res.set(bhttp::field::expires, "0");
}

}  // namespace

Response pixel_response(const TrackingKey& key, std::string_view token, std::int64_t now_unix,
                        const TrackSink& report, VerifyResult* outcome) {
  VerifyResult r = key.verify(token, TrackKind::Open, now_unix);
  if (r.ok() && report) report(*r.token);
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "image/gif");
  no_cache(res);
  res.body() = std::string{pixel_gif()};
  res.prepare_payload();
  if (outcome) *outcome = std::move(r);
  return res;
}

Response redirect_response(const TrackingKey& key, std::string_view token, std::int64_t now_unix,
                           const TrackSink& report, VerifyResult* outcome) {
  VerifyResult r = key.verify(token, TrackKind::Click, now_unix);
  Response res;
  if (r.ok()) {
    if (report) report(*r.token);
    res = Response{bhttp::status::found, 11};
    res.set(bhttp::field::location, r.token->url);
    res.set("Referrer-Policy", "no-referrer");
    no_cache(res);
    res.prepare_payload();
  } else if (r.error == TokenError::Expired) {
    res = error_response(make_error(410, "link_expired", "this link has expired"));
  } else {
    res = error_response(make_error(404, "not_found", "no such link"));
  }
  if (outcome) *outcome = std::move(r);
  return res;
}

void add_tracking_routes(Router& router, std::shared_ptr<const TrackingKey> key, std::function<std::int64_t()> now,
                         TrackSink on_open, TrackSink on_click) {
  router.add(
      Verb::get, "/t/o/{token}",
      [key, now, on_open](Exchange ex) { ex.respond.send(pixel_response(*key, ex.param("token"), now(), on_open)); },
      {Policy::Public});
  router.add(
      Verb::get, "/t/c/{token}",
      [key, now, on_click](Exchange ex) {
        ex.respond.send(redirect_response(*key, ex.param("token"), now(), on_click));
      },
      {Policy::Public});
}

}  // namespace cascade::http
