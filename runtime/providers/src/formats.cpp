// The formats providers share: the message as JSON, the HMAC signature, the backoff curve
// and the millisecond durations of the config.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cmath>

#include "cascade/providers/providers.hpp"

namespace cascade::providers {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::webhook:
      return "webhook";
    case Type::smtp:
      return "smtp";
    case Type::file:
      return "file";
  }
  return "?";
}

boost::json::object message_json(const OutboundMessage& m) {
  boost::json::object o;
  o["id"] = m.id;
  o["idempotency_key"] = m.idempotency_key;
  o["recipient"] = m.recipient;
  o["scenario"] = m.scenario;
  o["step"] = m.step;
  o["channel"] = m.channel;
  o["kind"] = m.channel_kind;
  o["address"] = m.address;
  if (m.text) {
    o["text"] = *m.text;
  } else {
    o["template"] = m.template_name;
    o["variables"] = m.variables;
  }
  if (!m.links.empty()) {
    boost::json::array links;
    for (const auto& l : m.links) links.emplace_back(l);
    o["links"] = std::move(links);
  }
  if (!m.pixel.empty()) o["pixel"] = m.pixel;
  return o;
}

std::optional<OutboundMessage> message_from_json(const boost::json::object& o) {
  auto str = [&o](std::string_view key, std::string& out, bool required) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr) return !required;
    if (!v->is_string()) return false;
    out.assign(v->get_string().data(), v->get_string().size());
    return true;
  };
  OutboundMessage m;
  if (!str("id", m.id, true) || !str("idempotency_key", m.idempotency_key, true) ||
      !str("recipient", m.recipient, true) || !str("scenario", m.scenario, true) || !str("step", m.step, true) ||
      !str("channel", m.channel, true) || !str("kind", m.channel_kind, true) || !str("address", m.address, true) ||
      !str("pixel", m.pixel, false))
    return std::nullopt;
  if (const boost::json::value* t = o.if_contains("text")) {
    if (!t->is_string()) return std::nullopt;
    m.text = std::string(t->get_string().data(), t->get_string().size());
  } else {
    if (!str("template", m.template_name, true)) return std::nullopt;
    const boost::json::value* vars = o.if_contains("variables");
    if (vars == nullptr || !vars->is_object()) return std::nullopt;
    m.variables = vars->get_object();
  }
  if (const boost::json::value* links = o.if_contains("links")) {
    if (!links->is_array()) return std::nullopt;
    for (const boost::json::value& l : links->get_array()) {
      if (!l.is_string()) return std::nullopt;
      m.links.emplace_back(l.get_string().data(), l.get_string().size());
    }
  }
  return m;
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // The one-shot HMAC() is not deprecated in OpenSSL 3 (HMAC_CTX is).
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  const std::string t = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(t.size() + 1 + body.size());
  signed_text.append(t).append(".").append(body);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_text);
}

Millis backoff_delay(const RetryPolicy& policy, int retry, double unit) {
  // Doubling in floating point: 2^60 ms is past any cap, so the exponent is clamped first.
  const double exp = std::pow(2.0, std::clamp(retry - 1, 0, 60));
  const double ceiling = std::min(static_cast<double>(policy.max_backoff.count()),
                                  static_cast<double>(policy.backoff.count()) * exp);
  const double u = std::clamp(unit, 0.0, 1.0);
  return Millis(static_cast<std::int64_t>(std::floor(ceiling * u)));
}

std::optional<Millis> parse_millis(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  std::int64_t total = 0;
  std::size_t k = 0;
  while (k < text.size()) {
    const std::size_t begin = k;
    std::int64_t n = 0;
    while (k < text.size() && text[k] >= '0' && text[k] <= '9') {
      n = n * 10 + (text[k] - '0');
      if (n > 86'400'000) return std::nullopt;
      ++k;
    }
    if (k == begin || k == text.size()) return std::nullopt;
    std::int64_t unit = 0;
    if (text.substr(k, 2) == "ms") {
      unit = 1;
      k += 2;
    } else {
      switch (text[k]) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60'000;
          break;
        case 'h':
          unit = 3'600'000;
          break;
        default:
          return std::nullopt;
      }
      ++k;
    }
    total += n * unit;
    if (total > 86'400'000) return std::nullopt;
  }
  return Millis(total);
}

}  // namespace cascade::providers
