// The smtp provider: real SMTP through libcurl's easy interface, on a pool of worker
// threads (one per allowed concurrent send), so a slow mail server never blocks the
// io_context. Each worker keeps its curl handle, and with it a connection cache.
//
// The mail (docs/providers.md): From is config.from, To the address, Message-ID
// <ID.KEY@cascade> from the message id and the idempotency key (a receiver or a mailbox can
// de-duplicate on it), Subject the first line of the text and the body the whole text; a
// template send has Subject = the template name and a body of "name: value" lines.
#include <curl/curl.h>
#include <openssl/evp.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <cstring>
#include <ctime>
#include <mutex>

#include "core.hpp"

namespace cascade::providers::detail {
namespace {

namespace asio = boost::asio;

struct Settings {
  ProviderConfig config;
  std::string url;       // smtp://host:port or smtps://host:port
  std::string password;  // empty: none
};

bool atext(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-/=?^_`{|}~.", c) != nullptr;
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += {kHex[p[i] >> 4], kHex[p[i] & 15]};
  return out;
}

// The left part of a Message-ID must be dot-atom text; a key that is not is replaced by its
// SHA-256 (still unique per key).
std::string id_part(const std::string& s) {
  if (!s.empty() && s.size() <= 200 && std::all_of(s.begin(), s.end(), atext) && s.front() != '.' &&
      s.back() != '.' && s.find("..") == std::string::npos)
    return s;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return hex(md, 16);
}

bool ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// RFC 2047 for a header text that is not ASCII.
std::string encode_header(const std::string& s) {
  if (ascii(s)) return s;
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return "=?UTF-8?B?" + out + "?=";
}

std::string no_breaks(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

// Lines end in CRLF on the wire.
std::string crlf(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') continue;
    if (s[i] == '\n')
      out += "\r\n";
    else
      out += s[i];
  }
  return out;
}

std::string rfc5322_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string message_id(const OutboundMessage& m) {
  return "<" + id_part(m.id) + "." + id_part(m.idempotency_key) + "@cascade>";
}

std::string compose(const Settings& s, const OutboundMessage& m, const std::string& mid) {
  std::string subject, body;
  if (m.text) {
    body = *m.text;
    subject = body.substr(0, body.find('\n'));
    if (subject.size() > 200) subject = subject.substr(0, 200);
  } else {
    subject = m.template_name;
    body = "template: " + m.template_name + "\n";
    for (const auto& [k, v] : m.variables)
      body += std::string(k) + ": " +
              (v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v)) + "\n";
  }
  std::string mail;
  mail += "Date: " + rfc5322_date() + "\r\n";
  mail += "From: " + s.config.from + "\r\n";
  mail += "To: " + m.address + "\r\n";
  mail += "Subject: " + encode_header(no_breaks(subject)) + "\r\n";
  mail += "Message-ID: " + mid + "\r\n";
  mail += "X-Cascade-Scenario: " + encode_header(no_breaks(m.scenario)) + "\r\n";
  mail += "MIME-Version: 1.0\r\n";
  mail += "Content-Type: text/plain; charset=utf-8\r\n";
  mail += "Content-Transfer-Encoding: 8bit\r\n";
  mail += "\r\n";
  mail += crlf(body);
  if (mail.size() < 2 || mail.compare(mail.size() - 2, 2, "\r\n") != 0) mail += "\r\n";
  return mail;
}

struct Reader {
  const std::string* data;
  std::size_t at = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* p) {
  auto* r = static_cast<Reader*>(p);
  const std::size_t len = std::min(size * n, r->data->size() - r->at);
  std::memcpy(buf, r->data->data() + r->at, len);
  r->at += len;
  return len;
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

// One handle per worker thread: it keeps the connection to the server between sends.
CURL* thread_handle() {
  thread_local std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  return handle.get();
}

AttemptOutcome send_one(const Settings& s, const OutboundMessage& m) {
  AttemptOutcome o;
  auto permanent = [&](std::string detail) {
    o.kind = AttemptOutcome::Kind::permanent;
    o.detail = std::move(detail);
    return o;
  };
  if (m.address.find_first_of("\r\n<>") != std::string::npos || m.address.find('@') == std::string::npos)
    return permanent("the address `" + no_breaks(m.address) + "` is not an e-mail address");
  const std::string mid = message_id(m);
  const std::string mail = compose(s, m, mid);
  CURL* c = thread_handle();
  if (c == nullptr) {
    o.detail = "libcurl could not make a handle";
    return o;
  }
  curl_easy_reset(c);
  char error[CURL_ERROR_SIZE] = {0};
  Reader reader{&mail};
  const std::string from = "<" + s.config.from + ">";
  const std::string to = "<" + m.address + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, to.c_str());
  curl_easy_setopt(c, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s.config.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(s.config.timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &reader);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  if (s.config.tls && s.url.rfind("smtps://", 0) != 0)
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!s.config.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, s.config.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, s.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  if (rc == CURLE_OK) {
    o.kind = AttemptOutcome::Kind::accepted;
    o.provider_message_id = mid;
    return o;
  }
  o.detail = "smtp://" + s.config.host + ":" + std::to_string(s.config.port) + ": " +
             (error[0] ? std::string(error) : std::string(curl_easy_strerror(rc)));
  if (code > 0) o.detail += " (last reply " + std::to_string(code) + ")";
  // A 5xx reply is the server refusing this mail for good; a wrong password will not get
  // better either. Everything else (no connection, timeouts, 4xx) is worth another try.
  if ((code >= 500 && code < 600) || rc == CURLE_LOGIN_DENIED || rc == CURLE_URL_MALFORMAT ||
      rc == CURLE_UNSUPPORTED_PROTOCOL)
    o.kind = AttemptOutcome::Kind::permanent;
  return o;
}

class Smtp final : public Transport {
 public:
  explicit Smtp(std::shared_ptr<const Settings> s)
      : settings_(std::move(s)),
        pool_(static_cast<std::size_t>(std::max(1, settings_->config.concurrency))) {}
  ~Smtp() override { pool_.join(); }

  void attempt(const OutboundMessage& m, int, AttemptDone done) override {
    // The worker holds the settings and the message, never the engine (see Engine::start_attempt).
    asio::post(pool_, [s = settings_, m, d = std::move(done)]() mutable {
      AttemptOutcome o = send_one(*s, m);
      d(std::move(o));
    });
  }

 private:
  std::shared_ptr<const Settings> settings_;
  asio::thread_pool pool_;
};

}  // namespace

std::variant<std::unique_ptr<Transport>, StartError> make_smtp(const ProviderConfig& c) {
  static std::once_flag once;
  static CURLcode init = CURLE_OK;
  std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init != CURLE_OK)
    return StartError{prefix(c) + "libcurl did not initialise: " + curl_easy_strerror(init)};
  if (c.host.empty() || c.host.find_first_of(" /\r\n@") != std::string::npos)
    return StartError{prefix(c) + "`host` must be a host name or address"};
  if (c.port < 1 || c.port > 65535) return StartError{prefix(c) + "`port` must be from 1 to 65535"};
  if (c.from.empty() || c.from.find('@') == std::string::npos ||
      c.from.find_first_of("\r\n<>") != std::string::npos)
    return StartError{prefix(c) + "`from` must be an e-mail address (the sender of every mail)"};
  auto s = std::make_shared<Settings>();
  s->config = c;
  const std::string host = c.host.find(':') != std::string::npos ? "[" + c.host + "]" : c.host;
  s->url = std::string(c.tls && c.port == 465 ? "smtps://" : "smtp://") + host + ":" + std::to_string(c.port);
  if (!c.username.empty()) {
    if (c.secret_env.empty())
      return StartError{prefix(c) +
                        "`username` is set but `secret_env` (the variable holding the password) is not"};
    auto secret = read_secret(c, "SMTP password");
    if (auto* e = std::get_if<StartError>(&secret)) return std::move(*e);
    s->password = std::move(std::get<std::string>(secret));
  }
  return std::unique_ptr<Transport>(std::make_unique<Smtp>(std::move(s)));
}

}  // namespace cascade::providers::detail
