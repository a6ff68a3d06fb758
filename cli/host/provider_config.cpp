// project::Provider (text settings) → providers::ProviderConfig (typed). The loader has
// validated each setting's syntax already (compiler/src/project/project.cpp,
// check_setting), so a value that does not parse here is reported, never assumed.
#include "provider_config.hpp"

#include <charconv>

namespace cascade::host {
namespace {

namespace pv = cascade::providers;

struct Reader {
  const project::Provider& p;
  std::vector<ProviderConfigError>& errors;
  bool ok = true;

  const std::string* get(const char* key) const {
    auto it = p.settings.find(key);
    return it == p.settings.end() ? nullptr : &it->second;
  }
  void fail(std::string message) {
    errors.push_back({p.name, p.span, "provider `" + p.name + "`: " + std::move(message)});
    ok = false;
  }
  void millis(const char* key, pv::Millis& out) {
    if (const auto* v = get(key)) {
      if (auto ms = pv::parse_millis(*v))
        out = *ms;
      else
        fail(std::string("`") + key + "` is not a duration: " + *v);
    }
  }
  void integer(const char* key, int& out) {
    if (const auto* v = get(key)) {
      int n = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
      if (ec != std::errc() || end != v->data() + v->size())
        fail(std::string("`") + key + "` is not a number: " + *v);
      else
        out = n;
    }
  }
  void text(const char* key, std::string& out) {
    if (const auto* v = get(key)) out = *v;
  }
};

}  // namespace

ProviderConfigs provider_configs(const project::Project& project) {
  ProviderConfigs out;
  for (const auto& [name, p] : project.providers) {
    Reader r{p, out.errors};
    pv::ProviderConfig c;
    c.name = name;
    if (p.type == "webhook") {
      c.type = pv::Type::webhook;
    } else if (p.type == "smtp") {
      c.type = pv::Type::smtp;
    } else if (p.type == "file") {
      c.type = pv::Type::file;
    } else {
      r.fail("unknown type `" + p.type + "`");
      continue;
    }
    r.text("url", c.url);
    r.text("secret_env", c.secret_env);
    r.text("host", c.host);
    r.text("from", c.from);
    r.text("username", c.username);
    r.text("path", c.path);
    r.integer("port", c.port);
    if (const auto* tls = r.get("tls")) c.tls = *tls == "true";
    if (c.type == pv::Type::smtp && !r.get("port")) c.port = c.tls ? 587 : 25;
    r.millis("timeout", c.timeout);
    r.millis("connect_timeout", c.connect_timeout);
    r.millis("backoff", c.retry.backoff);
    r.millis("max_backoff", c.retry.max_backoff);
    r.integer("max_attempts", c.retry.max_attempts);
    r.integer("concurrency", c.concurrency);
    if (const auto* v = r.get("rate_limit")) {
      double rate = 0;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), rate);
      if (ec != std::errc() || end != v->data() + v->size() || !(rate > 0))
        r.fail("`rate_limit` is not a rate: " + *v);
      else
        c.rate_limit = rate;
    }
    if (c.type == pv::Type::smtp && c.from.empty())
      r.fail("an smtp provider needs `from`, the sender address of every mail");
    if (c.type == pv::Type::smtp && !r.get("concurrency"))
      c.concurrency = 4;  // one worker thread per concurrent send: a few, unless asked
    if (c.retry.max_backoff < c.retry.backoff) c.retry.max_backoff = c.retry.backoff;
    if (r.ok) out.providers.push_back(std::move(c));
  }
  return out;
}

}  // namespace cascade::host
