// The HTTP API (docs/daemon.md, docs/openapi.yaml): each handler validates its request against
// the engine's schemas, turns it into canonical input rows (every `at` filled in, the
// de-duplication id taken out of the body) and answers once the store has committed them.
// Nothing here touches the engine directly: reads go to the applier as tasks.
#include <fmt/format.h>

#include <fstream>

#include <boost/json.hpp>

#include "cascade/bytecode/io.hpp"
#include "daemon_impl.hpp"

namespace cascade::daemon {

namespace json = boost::json;
using http::ApiError;
using http::Exchange;
using http::make_error;
using http::Verb;

namespace {

constexpr std::size_t kBatchBody = 16u << 20;

// "/data/total: expected decimal, got string" → pointer "/data/total" and the message.
ApiError line_error(const vm::LineError& e, std::string_view code = "invalid_input") {
  ApiError err = make_error(400, std::string(code), e.message);
  if (!e.message.empty() && e.message[0] == '/') {
    const std::size_t colon = e.message.find(": ");
    if (colon != std::string::npos) {
      err.pointer = e.message.substr(0, colon);
      err.message = e.message.substr(colon + 2);
    }
  }
  if (e.message.starts_with("unknown event")) err.code = "unknown_event";
  return err;
}

// One unit of a request: an input ready for the log, or the reason it is not.
struct Item {
  std::optional<std::size_t> line;  // batches only
  std::optional<store::NewInput> input;
  std::optional<ApiError> error;
};

std::optional<std::string> dedupe_id(const json::object& o, std::string_view key, std::optional<ApiError>& error) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string() || v->get_string().empty() || v->get_string().size() > 200) {
    ApiError e = make_error(400, "invalid_input", "a de-duplication id is a non-empty string of at most 200 bytes");
    e.pointer = "/" + std::string(key);
    error = e;
    return std::nullopt;
  }
  return std::string(v->get_string());
}

// One decoder per HTTP thread: it only reads the engine's schemas, which never change.
vm::InputDecoder& request_decoder(const vm::Engine& engine) {
  thread_local std::unique_ptr<vm::InputDecoder> decoder;
  thread_local const vm::Engine* owner = nullptr;
  if (!decoder || owner != &engine) {
    vm::InputDecoder::Options opts;
    opts.require_at = false;
    opts.check_recipients = false;
    opts.allow_message_only = true;
    decoder = std::make_unique<vm::InputDecoder>(engine, opts);
    owner = &engine;
  }
  return *decoder;
}

std::string json_string(std::string_view s) {
  std::string out;
  vm::append_json_string(out, s);
  return out;
}

}  // namespace

http::Router Daemon::Impl::routes() {
  http::Router router;

  // An event or a status (the shapes of `cascade run`'s input lines) → an Item.
  auto input_item = [this](const json::value& v, std::string_view only) -> Item {
    Item item;
    if (!v.is_object()) {
      item.error = make_error(400, "invalid_input", fmt::format("expected a JSON object, got {}", vm::json_kind(v)));
      return item;
    }
    const json::object& o = v.get_object();
    std::optional<ApiError> bad;
    std::optional<std::string> id = dedupe_id(o, "id", bad);
    if (bad) {
      item.error = bad;
      return item;
    }
    vm::InputDecoder& decoder = request_decoder(*engine);
    decoder.set_default_at(clock_now());
    vm::Input in;
    if (auto e = decoder.input(v, in)) {
      item.error = line_error(*e);
      return item;
    }
    const std::string_view kind = in.kind == vm::Input::Kind::Event ? kEvent : kStatus;
    if (!only.empty() && kind != only) {
      item.error = make_error(400, "invalid_input", fmt::format("this endpoint takes {} reports only", only));
      return item;
    }
    json::object body = o;
    body.erase("id");
    in.at = accepted_at(in.at);
    body["at"] = show_time(in.at);
    item.input = store::NewInput{std::string(kind), in.at, std::move(id), json::serialize(body)};
    return item;
  };

  // A profile object → an Item ("id" from the object or the path).
  auto profile_item = [this](const json::value& v, std::string_view path_id) -> Item {
    Item item;
    if (!v.is_object()) {
      item.error = make_error(400, "invalid_input", fmt::format("expected a JSON object, got {}", vm::json_kind(v)));
      return item;
    }
    json::object body = v.get_object();
    const json::value* id = body.if_contains("id");
    if (id && !id->is_string()) {
      ApiError e = make_error(400, "invalid_input", fmt::format("expected a string, got {}", vm::json_kind(*id)));
      e.pointer = "/id";
      item.error = e;
      return item;
    }
    if (!path_id.empty()) {
      if (id && std::string_view(id->get_string()) != path_id) {
        ApiError e = make_error(400, "invalid_input", "the body's id differs from the path's");
        e.pointer = "/id";
        item.error = e;
        return item;
      }
      body["id"] = path_id;
    } else if (!id || id->get_string().empty()) {
      ApiError e = make_error(400, "invalid_input", "a profile needs a non-empty string \"id\"");
      e.pointer = "/id";
      item.error = e;
      return item;
    }
    vm::Record record;
    if (auto e = vm::decode(engine->profile_shape(), body, record)) {
      ApiError err = make_error(400, "invalid_input", e->message);
      err.pointer = e->pointer;
      item.error = err;
      return item;
    }
    const vm::Time at = clock_now();
    body.erase("at");
    item.input = store::NewInput{std::string(kProfile), at, std::nullopt, json::serialize(body)};
    return item;
  };

  // Appends the good items and answers: one object for a single request, per-line results for a
  // batch (202 when any line was taken, 400 when none).
  auto accept = [this](Exchange ex, std::vector<Item> items, bool batch) {
    std::vector<store::NewInput> inputs;
    std::vector<std::size_t> where;  // index of the item each input came from
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].input) {
        inputs.push_back(std::move(*items[i].input));
        where.push_back(i);
      }
    }
    if (!batch && items.size() == 1 && items[0].error) {
      ex.respond.error(*items[0].error);
      return;
    }
    auto answer = [items = std::move(items), where, batch, respond = ex.respond](
                      store::Result<std::vector<store::Appended>> r) mutable {
      if (!r) {
        respond.error(make_error(503, "store_error", r.error().message));
        return;
      }
      const auto& appended = r.value();
      if (!batch) {
        const store::Appended& a = appended.at(0);
        respond.json(202, json::object{{"accepted", 1}, {"seq", a.seq}, {"duplicate", a.duplicate}});
        return;
      }
      json::array results;
      std::size_t accepted = 0, rejected = 0, next = 0;
      for (std::size_t i = 0; i < items.size(); ++i) {
        json::object line;
        if (items[i].line) line["line"] = *items[i].line;
        if (next < where.size() && where[next] == i) {
          line["seq"] = appended[next].seq;
          if (appended[next].duplicate) line["duplicate"] = true;
          ++next;
          ++accepted;
        } else if (items[i].error) {
          line["error"] = http::error_object(*items[i].error);
          ++rejected;
        }
        results.push_back(std::move(line));
      }
      respond.json(accepted > 0 ? 202 : 400,
                   json::object{{"accepted", accepted}, {"rejected", rejected}, {"results", std::move(results)}});
    };
    if (inputs.empty()) {
      answer(std::vector<store::Appended>{});
      return;
    }
    append(std::move(inputs), std::move(answer));
  };

  // A body of one JSON object or an NDJSON batch, each value through `make`.
  auto ingest = [this, accept](Exchange ex, const std::function<Item(const json::value&)>& make) {
    if (http::body_type(*ex.request) == http::BodyType::Ndjson) {
      http::NdjsonBatch batch = http::split_ndjson(ex.body(), server ? server->limits().max_batch_lines : 10'000);
      if (batch.error) {
        ex.respond.error(*batch.error);
        return;
      }
      if (batch.lines.empty()) {
        ex.respond.error(make_error(400, "empty_batch", "the batch has no lines"));
        return;
      }
      std::vector<Item> items;
      items.reserve(batch.lines.size());
      for (http::NdjsonLine& l : batch.lines) {
        Item item;
        if (l.error) {
          item.error = std::move(l.error);
        } else {
          item = make(*l.value);
          if (item.error) item.error->line = l.line;
        }
        item.line = l.line;
        items.push_back(std::move(item));
      }
      accept(std::move(ex), std::move(items), true);
      return;
    }
    // Batches may be large; one object is held to the server's ordinary body limit.
    const std::size_t single_limit = server ? server->limits().max_body : (1u << 20);
    if (ex.body().size() > single_limit) {
      ex.respond.error(make_error(413, "body_too_large",
                                  fmt::format("one JSON object may have {} bytes at most; send NDJSON batches "
                                              "(application/x-ndjson) for more",
                                              single_limit)));
      return;
    }
    http::JsonResult parsed = http::parse_json(ex.body());
    if (!parsed.ok()) {
      ex.respond.error(*parsed.error);
      return;
    }
    std::vector<Item> items;
    items.push_back(make(*parsed.value));
    accept(std::move(ex), std::move(items), false);
  };

  http::RouteOptions batch_route{http::Policy::TokenWhenExposed, http::Accept::JsonOrNdjson, kBatchBody};
  router.add(Verb::post, "/v1/events",
             [ingest, input_item](Exchange ex) {
               ingest(std::move(ex), [&](const json::value& v) { return input_item(v, ""); });
             },
             batch_route);
  router.add(Verb::post, "/v1/status",
             [ingest, input_item](Exchange ex) {
               ingest(std::move(ex), [&](const json::value& v) { return input_item(v, kStatus); });
             },
             batch_route);
  router.add(Verb::post, "/v1/profiles",
             [ingest, profile_item](Exchange ex) {
               ingest(std::move(ex), [&](const json::value& v) { return profile_item(v, ""); });
             },
             batch_route);
  router.add(Verb::put, "/v1/profiles/{id}",
             [ingest, profile_item](Exchange ex) {
               const std::string id(ex.param("id"));
               ingest(std::move(ex), [&](const json::value& v) { return profile_item(v, id); });
             },
             {http::Policy::TokenWhenExposed, http::Accept::Json, 0});

  // Segment's spec: track → an event, identify → the profile (traits are the whole profile).
  auto segment = [](const json::value& v, bool track, std::optional<ApiError>& error) -> json::object {
    json::object out;
    const json::object* o = v.if_object();
    if (!o) {
      error = make_error(400, "invalid_input", "expected a JSON object");
      return out;
    }
    const json::value* user = o->if_contains("userId");
    if (!user || !user->is_string() || user->get_string().empty()) {
      error = make_error(400, "invalid_input", "`userId` must be a non-empty string (anonymous ids are not recipients)");
      error->pointer = "/userId";
      return out;
    }
    if (const json::value* m = o->if_contains("messageId")) out["id"] = *m;
    if (const json::value* t = o->if_contains("timestamp")) out["at"] = *t;
    if (track) {
      out["recipient"] = *user;
      const json::value* ev = o->if_contains("event");
      out["event"] = ev ? *ev : json::value(nullptr);
      if (const json::value* p = o->if_contains("properties")) out["data"] = *p;
    } else {
      const json::value* traits = o->if_contains("traits");
      if (!traits || !traits->is_object()) {
        error = make_error(400, "invalid_input", "`traits` must be an object");
        error->pointer = "/traits";
        return out;
      }
      for (const auto& kv : traits->get_object()) out[kv.key()] = kv.value();
      out["id"] = *user;
      if (const json::value* m = o->if_contains("messageId")) out["messageId"] = *m;
    }
    return out;
  };
  router.add(Verb::post, "/v1/track",
             [accept, input_item, segment](Exchange ex) {
               http::JsonResult parsed = http::parse_json_object(ex.body());
               if (!parsed.ok()) return ex.respond.error(*parsed.error);
               std::optional<ApiError> error;
               json::object o = segment(*parsed.value, true, error);
               std::vector<Item> items(1);
               if (error) {
                 items[0].error = error;
               } else {
                 items[0] = input_item(o, kEvent);
                 if (items[0].error && items[0].error->pointer) {
                   // Point into the request as sent, not into our translation of it.
                   std::string& p = *items[0].error->pointer;
                   if (p.starts_with("/data")) p = "/properties" + p.substr(5);
                   else if (p == "/recipient") p = "/userId";
                   else if (p == "/at") p = "/timestamp";
                 }
               }
               accept(std::move(ex), std::move(items), false);
             },
             {http::Policy::TokenWhenExposed, http::Accept::Json, 0});
  router.add(Verb::post, "/v1/identify",
             [accept, profile_item, segment](Exchange ex) {
               http::JsonResult parsed = http::parse_json_object(ex.body());
               if (!parsed.ok()) return ex.respond.error(*parsed.error);
               std::optional<ApiError> error;
               json::object o = segment(*parsed.value, false, error);
               std::vector<Item> items(1);
               if (error) {
                 items[0].error = error;
               } else {
                 std::optional<ApiError> bad;
                 std::optional<std::string> dedupe = dedupe_id(o, "messageId", bad);
                 o.erase("messageId");
                 items[0] = bad ? Item{std::nullopt, std::nullopt, bad} : profile_item(o, "");
                 if (items[0].error && items[0].error->pointer && *items[0].error->pointer != "/messageId")
                   items[0].error->pointer = "/traits" + *items[0].error->pointer;
                 if (items[0].input) items[0].input->dedupe_id = dedupe;
               }
               accept(std::move(ex), std::move(items), false);
             },
             {http::Policy::TokenWhenExposed, http::Accept::Json, 0});

  // Providers' own status shapes.
  auto status_item = [this](std::string_view message, std::string_view status, std::optional<std::string> id,
                            std::string_view reason = {}) {
    Item item;
    json::object body{{"at", show_time(clock_now())}, {"message", message}, {"status", status}};
    if (!reason.empty()) body["reason"] = reason;
    item.input = store::NewInput{std::string(kStatus), clock_now(), std::move(id), json::serialize(body)};
    return item;
  };
  router.add(Verb::post, "/v1/status/twilio",
             [accept, status_item](Exchange ex) {
               // application/x-www-form-urlencoded: MessageSid=m17&MessageStatus=delivered
               std::string sid, status;
               std::string_view rest = ex.body();
               while (!rest.empty()) {
                 const std::size_t amp = rest.find('&');
                 std::string_view pair = rest.substr(0, amp);
                 rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
                 const std::size_t eq = pair.find('=');
                 if (eq == std::string_view::npos) continue;
                 std::string value(pair.substr(eq + 1));
                 for (char& c : value)
                   if (c == '+') c = ' ';
                 auto decoded = http::percent_decode(value);
                 if (!decoded) return ex.respond.error(make_error(400, "invalid_input", "bad percent-encoding in the form"));
                 if (pair.substr(0, eq) == "MessageSid") sid = *decoded;
                 if (pair.substr(0, eq) == "MessageStatus") status = *decoded;
               }
               if (sid.empty() || status.empty())
                 return ex.respond.error(make_error(400, "invalid_input", "MessageSid and MessageStatus are required"));
               std::string_view ours;
               if (status == "delivered") ours = "delivered";
               else if (status == "read") ours = "opened";
               else if (status == "failed" || status == "undelivered") ours = "failed";
               if (ours.empty()) return ex.respond.json(202, json::object{{"accepted", 0}, {"ignored", status}});
               std::vector<Item> items;
               items.push_back(status_item(sid, ours, "twilio:" + sid + ":" + status, ours == "failed" ? status : ""));
               accept(std::move(ex), std::move(items), false);
             },
             {http::Policy::TokenWhenExposed, http::Accept::Any, 0});
  router.add(Verb::post, "/v1/status/sendgrid",
             [accept, status_item](Exchange ex) {
               http::JsonResult parsed = http::parse_json(ex.body());
               if (!parsed.ok()) return ex.respond.error(*parsed.error);
               if (!parsed.value->is_array())
                 return ex.respond.error(make_error(400, "invalid_input", "expected a JSON array of events"));
               std::vector<Item> items;
               std::size_t index = 0;
               for (const json::value& e : parsed.value->get_array()) {
                 Item item;
                 const json::object* o = e.if_object();
                 const json::value* ev = o ? o->if_contains("event") : nullptr;
                 const json::value* id = o ? o->if_contains("cascade_message_id") : nullptr;
                 std::string_view ours;
                 if (ev && ev->is_string()) {
                   const std::string_view w = ev->get_string();
                   if (w == "delivered") ours = "delivered";
                   else if (w == "open") ours = "opened";
                   else if (w == "click") ours = "clicked";
                   else if (w == "bounce" || w == "dropped") ours = "failed";
                 }
                 if (!o || !ev || !ev->is_string() || !id || !id->is_string()) {
                   item.error = make_error(400, "invalid_input", "each event needs string `event` and `cascade_message_id`");
                   item.error->pointer = "/" + std::to_string(index);
                 } else if (!ours.empty()) {
                   std::optional<std::string> dedupe;
                   if (const json::value* sg = o->if_contains("sg_event_id"); sg && sg->is_string())
                     dedupe = "sendgrid:" + std::string(sg->get_string());
                   item = status_item(std::string_view(id->get_string()), ours, dedupe,
                                      ours == "failed" ? std::string_view(ev->get_string()) : std::string_view());
                 }
                 item.line = index + 1;
                 if (item.input || item.error) items.push_back(std::move(item));
                 ++index;
               }
               if (items.empty()) return ex.respond.json(202, json::object{{"accepted", 0}, {"rejected", 0}, {"results", json::array()}});
               accept(std::move(ex), std::move(items), true);
             },
             {http::Policy::TokenWhenExposed, http::Accept::Json, kBatchBody});

  // The open pixel and the click redirect: a verified token becomes a status report.
  auto track = [this](std::string_view status, std::string_view prefix) {
    return [this, status, prefix](const http::TrackingToken& t) {
      json::object body{{"at", show_time(clock_now())}, {"message", t.message_id}, {"status", status}};
      std::vector<store::NewInput> in;
      in.push_back(store::NewInput{std::string(kStatus), clock_now(), std::string(prefix) + t.message_id,
                                   json::serialize(body)});
      append(std::move(in), [this](store::Result<std::vector<store::Appended>> r) {
        if (!r) log->error("cannot log a tracking report", {{"error", std::string_view(r.error().message)}});
      });
    };
  };
  http::add_tracking_routes(router, tracking, [this] { return clock_now(); }, track("opened", "open:"),
                            track("clicked", "click:"));

  // ---- scenarios ----
  router.add(Verb::post, "/v1/scenarios",
             [this](Exchange ex) {
               const std::string& body = ex.body();
               const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
               std::vector<bytecode::Module> modules;
               if (bytecode::is_bundle(bytes)) {
                 auto r = bytecode::read_bundle(bytes);
                 if (!r)
                   return ex.respond.error(make_error(400, "bad_program", fmt::format("byte {}: {}", r.error().offset, r.error().message)));
                 modules = std::move(r.value());
               } else {
                 auto r = bytecode::load(bytes);
                 if (!r)
                   return ex.respond.error(make_error(400, "bad_program", fmt::format("byte {}: {}", r.error().offset, r.error().message)));
                 modules.push_back(std::move(r.value()));
               }
               if (modules.empty()) return ex.respond.error(make_error(400, "bad_program", "the bundle holds no scenario"));
               // Every module must load into an engine of this daemon's project (verified, and
               // naming only its events, channels and fields) before anything is stored.
               for (const bytecode::Module& m : modules) {
                 vm::Engine scratch(config.engine);
                 if (auto e = scratch.load(m))
                   return ex.respond.error(make_error(400, "bad_program",
                                                      fmt::format("scenario `{}`: {}", m.str(m.scenario.name), e->message)));
               }
               json::array deployed_json;
               std::vector<store::NewInput> inputs;
               for (const bytecode::Module& m : modules) {
                 const std::string name(m.str(m.scenario.name));
                 auto r = store->put_scenario(store::NewScenario{name, fmt::format("{:016x}", bytecode::program_hash(m)),
                                                                 bytecode::write(m), clock_now()});
                 if (!r) return ex.respond.error(make_error(503, "store_error", r.error().message));
                 bool known;
                 {
                   std::lock_guard lk(scenarios_mu);
                   known = deployed.count({name, r.value().version}) > 0;
                   deployed.emplace(name, r.value().version);
                   manual[name] = m.scenario.trigger == bytecode::TriggerKind::Manual;
                 }
                 if (!known) {
                   json::object b{{"at", show_time(clock_now())}, {"scenario", name}, {"version", r.value().version}};
                   inputs.push_back(store::NewInput{std::string(kDeploy), clock_now(), std::nullopt, json::serialize(b)});
                 }
                 deployed_json.push_back(json::object{{"name", name}, {"version", r.value().version}, {"created", r.value().created}});
               }
               auto answer = [respond = ex.respond, deployed_json](store::Result<std::vector<store::Appended>> r) {
                 if (!r) return respond.error(make_error(503, "store_error", r.error().message));
                 respond.json(200, json::object{{"deployed", deployed_json}});
               };
               if (inputs.empty()) return answer(std::vector<store::Appended>{});
               append(std::move(inputs), std::move(answer));
             },
             {http::Policy::AlwaysToken, http::Accept::Any, kBatchBody});

  router.add(Verb::get, "/v1/scenarios", [this](Exchange ex) {
    post_task([this, respond = ex.respond] {
      auto versions = store->scenarios();
      if (!versions) return respond.error(make_error(503, "store_error", versions.error().message));
      std::map<std::pair<std::string, std::uint32_t>, std::pair<std::size_t, json::object>> live;
      for (const vm::Engine::LiveCount& c : engine->live_counts()) {
        auto& slot = live[{std::string(c.scenario), c.version}];
        slot.first += c.count;
        slot.second[std::to_string(c.step)] = c.count;
      }
      json::array out;
      json::object* current = nullptr;
      std::string current_name;
      for (const store::ScenarioVersion& v : versions.value()) {
        if (!current || v.name != current_name) {
          out.push_back(json::object{{"name", v.name}, {"versions", json::array()}});
          current = &out.back().get_object();
          current_name = v.name;
        }
        auto it = live.find({v.name, static_cast<std::uint32_t>(v.version)});
        json::object entry{{"version", v.version},
                           {"program_hash", v.program_hash},
                           {"deployed_at", show_time(v.deployed_at)},
                           {"live", it == live.end() ? 0 : it->second.first},
                           {"steps", it == live.end() ? json::object() : it->second.second}};
        (*current)["versions"].get_array().push_back(std::move(entry));
      }
      respond.json(200, json::object{{"scenarios", std::move(out)}});
    });
  });

  router.add(Verb::post, "/v1/scenarios/{name}/broadcast",
             [this, accept](Exchange ex) {
               const std::string name(ex.param("name"));
               {
                 std::lock_guard lk(scenarios_mu);
                 auto it = manual.find(name);
                 if (it == manual.end())
                   return ex.respond.error(make_error(404, "unknown_scenario", fmt::format("no scenario `{}` is deployed", name)));
                 if (!it->second)
                   return ex.respond.error(
                       make_error(409, "not_manual", fmt::format("scenario `{}` is not `trigger manual`", name)));
               }
               vm::Time at = clock_now();
               if (!ex.body().empty()) {
                 http::JsonResult parsed = http::parse_json_object(ex.body());
                 if (!parsed.ok()) return ex.respond.error(*parsed.error);
                 if (const json::value* a = parsed.value->get_object().if_contains("at")) {
                   std::optional<vm::Time> t = a->is_string() ? vm::parse_time(std::string_view(a->get_string())) : std::nullopt;
                   if (!t) {
                     ApiError e = make_error(400, "invalid_input", "not a time (write it like 2026-03-02T10:00:00Z)");
                     e.pointer = "/at";
                     return ex.respond.error(e);
                   }
                   at = accepted_at(*t);
                 }
               }
               std::vector<Item> items(1);
               json::object body{{"at", show_time(at)}, {"scenario", name}};
               items[0].input = store::NewInput{std::string(kBroadcast), at, std::nullopt, json::serialize(body)};
               accept(std::move(ex), std::move(items), false);
             },
             {http::Policy::AlwaysToken, http::Accept::Json, 0});

  router.add(Verb::get, "/v1/scenarios/{name}/report", [this](Exchange ex) {
    const std::string name(ex.param("name"));
    {
      std::lock_guard lk(scenarios_mu);
      if (!manual.count(name))
        return ex.respond.error(make_error(404, "unknown_scenario", fmt::format("no scenario `{}` is deployed", name)));
    }
    // The trace file holds everything applied up to the applier's last batch.
    std::ifstream in(config.data / "trace.jsonl", std::ios::binary);
    report::Builder builder(config.report);
    builder.begin_trace();
    const std::string needle = "\"scenario\":" + json_string(name);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(needle) == std::string::npos) continue;
      (void)builder.add_line(line);  // the daemon wrote these lines itself
    }
    json::value all = report::to_json(builder.finish());
    ex.respond.json(200, all);
  });

  // ---- recipients ----
  router.add(Verb::get, "/v1/recipients/{id}", [this](Exchange ex) {
    const std::string id(ex.param("id"));
    json::array history;
    {
      std::ifstream in(config.data / "trace.jsonl", std::ios::binary);
      const std::string needle = "\"recipient\":" + json_string(id) + ",";
      std::string line;
      while (std::getline(in, line)) {
        if (line.find(needle) == std::string::npos) continue;
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        if (!ec) history.push_back(std::move(v));
      }
    }
    post_task([this, id, history = std::move(history), respond = ex.respond]() mutable {
      if (!engine->has_recipient(id))
        return respond.error(make_error(404, "unknown_recipient", fmt::format("no recipient `{}`", id)));
      json::array instances;
      for (const vm::Engine::InstanceView& v : engine->instances_of(id)) {
        json::object o{{"scenario", v.scenario}, {"version", v.version}, {"instance", v.number},
                       {"state", v.state}, {"last_step", v.last_step}, {"control", v.control}};
        if (!v.waiting_for.empty()) o["waiting_for"] = v.waiting_for;
        if (v.until) o["until"] = show_time(*v.until);
        instances.push_back(std::move(o));
      }
      json::object profile = vm::encode(engine->profile_shape(), *engine->profile_of(id));
      respond.json(200, json::object{{"id", id},
                                     {"profile", std::move(profile)},
                                     {"instances", std::move(instances)},
                                     {"history", std::move(history)}});
    });
  });

  // ---- the clock ----
  router.add(Verb::get, "/v1/clock", [this](Exchange ex) {
    ex.respond.json(200, json::object{{"now", show_time(clock_now())}, {"virtual", config.virtual_clock}});
  });
  router.add(Verb::post, "/v1/clock",
             [this](Exchange ex) {
               if (!config.virtual_clock)
                 return ex.respond.error(make_error(409, "not_virtual_clock",
                                                    "the clock is the real one; start with --virtual-clock to move it"));
               http::JsonResult parsed = http::parse_json_object(ex.body());
               if (!parsed.ok()) return ex.respond.error(*parsed.error);
               const json::value* a = parsed.value->get_object().if_contains("at");
               std::optional<vm::Time> t = a && a->is_string() ? vm::parse_time(std::string_view(a->get_string())) : std::nullopt;
               if (!t) {
                 ApiError e = make_error(400, "invalid_input", "`at` must be a time like 2026-03-02T10:00:00Z");
                 e.pointer = "/at";
                 return ex.respond.error(e);
               }
               vm::Time before = virtual_now.load();
               while (before <= *t && !virtual_now.compare_exchange_weak(before, *t)) {
               }
               if (before > *t)
                 return ex.respond.error(make_error(409, "clock_backwards",
                                                    fmt::format("the clock is at {}; it does not go back to {}",
                                                                show_time(before), show_time(*t))));
               std::vector<store::NewInput> in;
               in.push_back(store::NewInput{std::string(kClock), *t, std::nullopt,
                                            json::serialize(json::object{{"at", show_time(*t)}})});
               // Answered once applied, so a client that moves the clock then reads sees the effects.
               append(std::move(in), [this, t = *t, respond = ex.respond](store::Result<std::vector<store::Appended>> r) {
                 if (!r) return respond.error(make_error(503, "store_error", r.error().message));
                 const std::int64_t seq = r.value().at(0).seq;
                 auto reply = [respond, t, seq] {
                   respond.json(200, json::object{{"now", show_time(t)}, {"applied", seq}});
                 };
                 std::unique_lock lk(mu);
                 if (applied.load() >= seq) {
                   lk.unlock();
                   reply();
                 } else {
                   after_applied.emplace(seq, std::move(reply));
                 }
               });
             },
             {http::Policy::TokenWhenExposed, http::Accept::Json, 0});

  return router;
}

}  // namespace cascade::daemon
