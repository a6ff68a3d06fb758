// cascade.yaml: the schema as loaded, and every project error with its exact place.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "cascade/stdlib/types.hpp"
#include "helpers.hpp"

using namespace project_test;
using cascade::types::to_string;

namespace {

// LANGUAGE.md §2.1, verbatim. It names providers fcm and vgw without declaring them.
const char* kBriefExample = R"(timezone: Europe/Moscow            # for recipients without their own
quiet_hours: "22:00..09:00"        # default for every scenario not marked urgent
caps:                              # per recipient, across all scenarios
  all: 3 per 1d
  sms: 1 per 1d
profile:                           # name: type;  T? = may be absent
  email: string?
  phone: string?
  push_token: string?
  timezone: string?
  first_name: string?
  age: int?
  ltv: decimal
  tags: list<string>
  last_purchase_at: time?
  consent: { email: bool, sms: bool, push: bool, viber: bool }
events:
  cart_abandoned: { cart_id: string, cart_url: string, total: decimal }
  order_placed:   { order_id: string, cart_id: string?, total: decimal }
  appointment_booked: { at: time, address: string }
  points_expiring: { date: string, points: int }
  card_transaction: { amount: decimal, merchant: string }
channels:                          # kind gives the capabilities (see stdlib)
  push:  { kind: push,  address: push_token, consent: consent.push,  provider: fcm,  cost: 0 }
  email: { kind: email, address: email,      consent: consent.email, provider: esp,  cost: 0.2 }
  viber: { kind: viber, address: phone,      consent: consent.viber, provider: vgw,  cost: 1.77 }
  sms:   { kind: sms,   address: phone,      consent: consent.sms,   provider: smsc, cost: 2.0 }
providers:                         # used by `cascade serve`; secrets come from the environment
  esp:  { type: webhook, url: "http://127.0.0.1:9101/send", secret_env: ESP_SECRET }
  smsc: { type: webhook, url: "http://127.0.0.1:9102/send" }
)";

std::string with_brief_providers_completed() {
  return std::string(kBriefExample) +
         "  fcm:  { type: webhook, url: \"http://127.0.0.1:9100/send\" }\n"
         "  vgw:  { type: webhook, url: \"http://127.0.0.1:9103/send\" }\n";
}

// A small valid project that error tests modify one line at a time.
std::string base(const std::string& extra_channels = "", const std::string& extra = "") {
  return "profile:\n"
         "  email: string?\n"
         "  phone: string?\n"
         "  age: int?\n"
         "  consent: { email: bool, sms: bool }\n"
         "providers:\n"
         "  esp: { type: webhook, url: \"http://127.0.0.1:9101/send\" }\n"
         "channels:\n"
         "  email: { kind: email, address: email, consent: consent.email, provider: esp, cost: 0.2 }\n" +
         extra_channels + extra;
}

std::string type_of(const cascade::types::Type& record, std::string_view path) {
  const auto* t = cascade::project::lookup_path(record, path);
  return t ? to_string(*t) : "none";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schema)

BOOST_AUTO_TEST_CASE(brief_example_loads_with_its_two_undeclared_providers) {
  const Loaded l = load(kBriefExample);
  BOOST_REQUIRE(l.result.project.has_value());
  BOOST_TEST(all(l) == "E0108 24:80 `fcm` | E0108 26:80 `vgw`");
  BOOST_TEST(l.diags()[0].message ==
             "channel `push` uses provider `fcm`, which is not declared under `providers:`");
}

BOOST_AUTO_TEST_CASE(brief_example_completed_loads_clean_with_the_right_schema) {
  const Loaded l = load(with_brief_providers_completed());
  BOOST_TEST(all(l) == "");
  BOOST_REQUIRE(l.result.project.has_value());
  const auto& p = *l.result.project;
  BOOST_TEST(p.timezone == "Europe/Moscow");
  BOOST_REQUIRE(p.quiet_hours.has_value());
  BOOST_TEST(p.quiet_hours->from_minutes == 22 * 60);
  BOOST_TEST(p.quiet_hours->to_minutes == 9 * 60);
  BOOST_TEST(p.currency == "₽");
  BOOST_TEST(p.goal_window_seconds == 7 * 86400);
  BOOST_REQUIRE(p.cap_all.has_value());
  BOOST_TEST(p.cap_all->count == 3);
  BOOST_TEST(p.cap_all->per_seconds == 86400);
  BOOST_REQUIRE(p.channel_caps.count("sms") == 1u);
  BOOST_TEST(p.channel_caps.at("sms").count == 1);

  BOOST_TEST(type_of(p.profile, "email") == "string?");
  BOOST_TEST(type_of(p.profile, "age") == "int?");
  BOOST_TEST(type_of(p.profile, "ltv") == "decimal");
  BOOST_TEST(type_of(p.profile, "tags") == "list<string>");
  BOOST_TEST(type_of(p.profile, "last_purchase_at") == "time?");
  BOOST_TEST(type_of(p.profile, "consent") == "{ email: bool, sms: bool, push: bool, viber: bool }");
  BOOST_TEST(type_of(p.profile, "consent.sms") == "bool");
  BOOST_TEST(p.profile.fields->size() == 10u);
  BOOST_TEST((*p.profile.fields)[0].name == "email");  // declaration order kept

  BOOST_TEST(p.events.size() == 5u);
  BOOST_REQUIRE(p.event("order_placed") != nullptr);
  BOOST_TEST(to_string(p.event("order_placed")->fields) ==
             "{ order_id: string, cart_id: string?, total: decimal }");
  BOOST_TEST(to_string(p.event("appointment_booked")->fields) == "{ at: time, address: string }");
  BOOST_TEST(p.event("nothing") == nullptr);

  BOOST_REQUIRE(p.channels.size() == 4u);
  const char* names[] = {"push", "email", "viber", "sms"};
  const char* costs[] = {"0", "0.2", "1.77", "2.0"};
  const std::int64_t micros[] = {0, 200'000, 1'770'000, 2'000'000};
  for (std::size_t i = 0; i < 4; ++i) {
    BOOST_TEST(p.channels[i].name == names[i]);
    BOOST_TEST(p.channels[i].kind->name == names[i]);
    BOOST_TEST(p.channels[i].cost_text == costs[i]);
    BOOST_TEST(p.channels[i].cost_micros == micros[i]);
  }
  const auto* sms = p.channel("sms");
  BOOST_REQUIRE(sms != nullptr);
  BOOST_TEST(sms->address_field == "phone");
  BOOST_TEST(sms->consent_field == "consent.sms");
  BOOST_TEST(sms->provider == "smsc");
  BOOST_TEST(!sms->kind->opened);
  BOOST_TEST(l.sources->file(p.file).locate(sms->span.begin).line == 27u);
  BOOST_TEST(p.channel("fax") == nullptr);

  BOOST_TEST(p.providers.size() == 4u);
  BOOST_TEST(p.providers.at("esp").type == "webhook");
  BOOST_TEST(p.providers.at("esp").settings.at("url") == "http://127.0.0.1:9101/send");
  BOOST_TEST(p.providers.at("esp").settings.at("secret_env") == "ESP_SECRET");
}

BOOST_AUTO_TEST_CASE(example_project_loads_clean) {
  source::SourceMap sources;
  const auto r = project::load(std::string(CASCADE_SOURCE_DIR) + "/examples/cascade.yaml", sources);
  std::string diags;
  for (const auto& d : r.diagnostics.items()) diags += d.message + "; ";
  BOOST_TEST(diags == "");
  BOOST_REQUIRE(r.project.has_value());
  const auto& p = *r.project;
  BOOST_TEST(p.timezone == "Europe/Moscow");
  BOOST_TEST(p.channels.size() == 4u);
  BOOST_TEST(p.channel("viber")->cost_micros == 1'770'000);
  BOOST_TEST(p.providers.at("outbox").type == "file");
  for (const char* e :
       {"cart_abandoned", "order_placed", "appointment_booked", "points_expiring", "card_transaction",
        "webinar_registered", "webinar_started", "webinar_attended", "autopay_failed", "payment_succeeded",
        "feedback_requested", "feedback_left", "product_viewed", "order_delivered"}) {
    BOOST_TEST_CONTEXT(e) {
      BOOST_TEST(p.event(e) != nullptr);
    }
  }
  BOOST_TEST(to_string(p.event("app_opened")->fields) == "{}");
  BOOST_TEST(type_of(p.profile, "median_open_delay") == "duration?");
  BOOST_TEST(type_of(p.profile, "consent.viber") == "bool");
  BOOST_TEST(type_of(p.profile, "vip") == "bool");
}

BOOST_AUTO_TEST_CASE(defaults_when_keys_are_absent) {
  const Loaded l = load("profile:\n  email: string\n");
  BOOST_TEST(all(l) == "");
  BOOST_REQUIRE(l.result.project.has_value());
  const auto& p = *l.result.project;
  BOOST_TEST(p.timezone == "UTC");
  BOOST_TEST(!p.quiet_hours.has_value());
  BOOST_TEST(p.currency == "₽");
  BOOST_TEST(p.goal_window_seconds == 7 * 86400);
  BOOST_TEST(!p.cap_all.has_value());
  BOOST_TEST(p.channels.empty());
  BOOST_TEST(p.path == "cascade.yaml");
}

BOOST_AUTO_TEST_CASE(values_that_are_read) {
  const Loaded l = load(base("",
                             "goal_window: 1w2d\ncurrency: RUB\nquiet_hours: \" 9:30 .. 21:15 \"\n"
                             "caps:\n  email: \"2 per 12h\"\n"));
  BOOST_TEST(all(l) == "");
  const auto& p = *l.result.project;
  BOOST_TEST(p.goal_window_seconds == 9 * 86400);
  BOOST_TEST(p.currency == "RUB");
  BOOST_TEST(p.quiet_hours->from_minutes == 9 * 60 + 30);
  BOOST_TEST(p.quiet_hours->to_minutes == 21 * 60 + 15);
  BOOST_TEST(p.channel_caps.at("email").per_seconds == 12 * 3600);
  BOOST_TEST(describe(l, diag::make(diag::Code::ProjectBadCap, p.channel_caps.at("email").span, "")) ==
             "E0111 14:10 `\"2 per 12h\"`");
}

BOOST_AUTO_TEST_CASE(nested_records_and_lookup_paths) {
  const Loaded l = load(
      "profile:\n  address:\n    city: string\n    geo: { lat: decimal, lon: decimal? }\n"
      "  tags: list<string>?\n");
  BOOST_TEST(all(l) == "");
  const auto& profile = l.result.project->profile;
  BOOST_TEST(type_of(profile, "address.geo.lon") == "decimal?");
  BOOST_TEST(type_of(profile, "address.city") == "string");
  BOOST_TEST(type_of(profile, "tags") == "list<string>?");
  for (const char* bad :
       {"", ".", "address.", ".address", "address..city", "address.zip", "tags.x", "nothing"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(type_of(profile, bad) == "none");
    }
  }
}

BOOST_AUTO_TEST_CASE(webhook_channel_needs_no_address_and_other_providers) {
  const Loaded l = load(
      "providers:\n"
      "  out: { type: file, path: out.jsonl }\n"
      "  mail: { type: smtp, host: 127.0.0.1, port: 2525, from: shop@example.com, tls: false, secret_env: "
      "SMTP_PASSWORD }\n"
      "channels:\n"
      "  crm: { kind: webhook, provider: out }\n");
  BOOST_TEST(all(l) == "");
  BOOST_TEST(l.result.project->providers.at("mail").settings.at("port") == "2525");
  BOOST_TEST(l.result.project->providers.at("out").settings.at("path") == "out.jsonl");
  BOOST_TEST(l.result.project->channel("crm")->address_field == "");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(e0101_yaml_syntax) {
  const Loaded l = load("profile:\n  email: [string\nchannels: {}\n");
  BOOST_TEST(codes(l) == "E0101");
  BOOST_TEST(!l.result.project.has_value());
  BOOST_TEST(l.diags()[0].message.rfind("cascade.yaml is not valid YAML: ", 0) == 0u);
  BOOST_TEST(all(l) == "E0101 3:9 `:`");
  BOOST_TEST(l.diags()[0].message ==
             "cascade.yaml is not valid YAML: a `[` is not closed by `]` before this point");
  BOOST_TEST(l.diags()[0].hint == "close every `[` on the line where the list ends");
  const Loaded tab = load("profile:\n\temail: string\n");
  BOOST_TEST(codes(tab) == "E0101");
  const Loaded alias = load("profile:\n  a: *nowhere\n");
  BOOST_TEST(alias.diags()[0].message ==
             "cascade.yaml is not valid YAML: an alias `*name` refers to an anchor that is not defined");
}

BOOST_AUTO_TEST_CASE(e0102_unknown_key_with_suggestion) {
  const Loaded l = load(base("", "timezon: UTC\n"));
  BOOST_TEST(all(l) == "E0102 10:1 `timezon`");
  BOOST_TEST(l.diags()[0].message == "unknown key `timezon` in the project file");
  BOOST_TEST(l.diags()[0].hint == "did you mean `timezone`?");
  const Loaded far = load(base("", "colour: red\n"));
  BOOST_TEST(far.diags()[0].hint ==
             "the keys are timezone, quiet_hours, currency, goal_window, caps, profile, events, channels, "
             "providers");
}

BOOST_AUTO_TEST_CASE(e0102_unknown_channel_key_and_cap) {
  const Loaded l = load(base("  sms: { kind: sms, adress: phone }\n", "caps:\n  smss: \"1 per 1d\"\n"));
  BOOST_TEST(all(l) == "E0102 10:21 `adress` | E0112 10:3 `sms` | E0102 12:3 `smss`");
  BOOST_TEST(l.diags()[0].hint == "did you mean `address`?");
  BOOST_TEST(l.diags()[0].message == "unknown key `adress` in channel `sms`");
  BOOST_TEST(l.diags()[1].message == "channel `sms` needs `address`");
  BOOST_TEST(l.diags()[2].hint == "did you mean `sms`? (caps take `all` or a channel name)");
  const Loaded far = load(base("", "caps:\n  fax: \"1 per 1d\"\n"));
  BOOST_TEST(far.diags()[0].hint == "caps take `all` or a channel name: all, email");
}

BOOST_AUTO_TEST_CASE(e0103_bad_types) {
  const Loaded l =
      load("profile:\n  age: integer\n  tags: list<string?>\n  x: [int]\nevents:\n  e: { at: clock }\n");
  BOOST_TEST(all(l) ==
             "E0103 2:8 `integer` | E0103 3:9 `list<string?>` | E0103 4:6 `[` | E0103 6:12 `clock`");
  BOOST_TEST(l.diags()[0].message == "unknown type `integer`");
  BOOST_REQUIRE(l.result.project.has_value());
  BOOST_TEST(type_of(l.result.project->profile, "age") == "error");  // kept, so no cascade of errors
}

BOOST_AUTO_TEST_CASE(e0104_bad_values) {
  const Loaded window = load(base("", "goal_window: 7days\n"));
  BOOST_TEST(all(window) == "E0104 10:14 `7days`");
  BOOST_TEST(window.diags()[0].message == "`goal_window` is `7days`, which is not a duration");

  const Loaded cost = load(base("  sms: { kind: sms, address: phone, cost: -2 }\n"));
  BOOST_TEST(all(cost) == "E0104 10:43 `-2`");
  BOOST_TEST(cost.diags()[0].message == "the cost of channel `sms` is negative (-2)");
  const Loaded precise = load(base("  sms: { kind: sms, address: phone, cost: 0.0000001 }\n"));
  BOOST_TEST(codes(precise) == "E0104");

  const Loaded secret = load("providers:\n  esp: { type: webhook, url: \"http://x\", password: hunter2 }\n");
  BOOST_TEST(all(secret) == "E0104 2:42 `password`");
  BOOST_TEST(secret.diags()[0].hint.find("secret_env") != std::string::npos);
  BOOST_TEST(secret.result.project->providers.count("esp") == 0u);

  const Loaded env =
      load("providers:\n  esp: { type: webhook, url: \"http://x\", secret_env: \"my secret\" }\n");
  BOOST_TEST(all(env) == "E0104 2:54 `\"my secret\"`");

  const Loaded url = load("providers:\n  esp: { type: webhook, url: ftp://x }\n");
  BOOST_TEST(all(url) == "E0104 2:30 `ftp://x`");

  const Loaded name = load("profile:\n  first-name: string\n");
  BOOST_TEST(all(name) == "E0104 2:3 `first-name`");

  const Loaded address_type = load(base("  sms: { kind: sms, address: age }\n"));
  BOOST_TEST(all(address_type) == "E0104 10:30 `age`");
  BOOST_TEST(address_type.diags()[0].message ==
             "channel `sms` takes its address from `age`, which is `int?`, not a string");

  const Loaded section = load("channels: [email, sms]\n");
  BOOST_TEST(all(section) == "E0104 1:11 `[`");
  BOOST_TEST(section.diags()[0].message == "`channels` must be a map, but it is a list");

  const Loaded untyped = load("profile:\n  email:\n  age: int\n");
  BOOST_TEST(all(untyped) == "E0104 2:3 `email`");
  BOOST_TEST(untyped.diags()[0].message == "field `email` has no type");

  const Loaded zero = load("quiet_hours: \"22:00..22:00\"\n");
  BOOST_TEST(all(zero) == "E0104 1:14 `\"22:00..22:00\"`");
}

BOOST_AUTO_TEST_CASE(duplicate_keys) {
  const Loaded l = load("profile:\n  email: string\n  email: string?\n");
  BOOST_TEST(all(l) == "E0206 3:3 `email`");
  BOOST_TEST(l.diags()[0].message == "`email` is given twice in `profile`");
  BOOST_REQUIRE(l.diags()[0].notes.size() == 1u);
  BOOST_TEST(l.sources->file(0).locate(l.diags()[0].notes[0].span.begin).line == 2u);
  BOOST_TEST(type_of(l.result.project->profile, "email") == "string");
}

BOOST_AUTO_TEST_CASE(e0105_unknown_kind) {
  const Loaded l = load(base("  fax: { kind: fax, address: phone }\n"));
  BOOST_TEST(all(l) == "E0105 10:16 `fax`");
  BOOST_TEST(l.diags()[0].message == "unknown channel kind `fax`");
  BOOST_TEST(l.diags()[0].hint ==
             "the kinds are email, push, webpush, viber, whatsapp, telegram, vk, sms, webhook, call");
  BOOST_TEST(l.result.project->channel("fax") == nullptr);  // a channel always has a kind
  const Loaded close = load(base("  tg: { kind: telegramm, address: phone }\n"));
  BOOST_TEST(close.diags()[0].hint ==
             "did you mean `telegram`? the kinds are email, push, webpush, viber, whatsapp, telegram, vk, "
             "sms, webhook, call");
}

BOOST_AUTO_TEST_CASE(hints_suggest_close_names) {
  const Loaded address = load(base("  sms: { kind: sms, address: phnoe }\n"));
  BOOST_TEST(address.diags()[0].hint ==
             "did you mean `phone`? add `phnoe: string?` to `profile:`, or name an existing field");
  const Loaded consent = load(base("  sms: { kind: sms, address: phone, consent: consent.smss }\n"));
  BOOST_TEST(consent.diags()[0].hint.rfind("did you mean `consent.sms`? ", 0) == 0u);
  const Loaded provider = load(base("  sms: { kind: sms, address: phone, provider: esq }\n"));
  BOOST_TEST(provider.diags()[0].hint == "did you mean `esp`? declare it under `providers:` or fix the name");
}

BOOST_AUTO_TEST_CASE(e0106_address_not_in_profile) {
  const Loaded l = load(base("  sms: { kind: sms, address: mobile }\n"));
  BOOST_TEST(all(l) == "E0106 10:30 `mobile`");
  BOOST_TEST(l.diags()[0].message ==
             "channel `sms` takes its address from `mobile`, which is not a field of the profile");
  const Loaded nested = load(base("  sms: { kind: sms, address: consent.phone }\n"));
  BOOST_TEST(codes(nested) == "E0106");
}

BOOST_AUTO_TEST_CASE(e0107_consent_not_a_bool_field) {
  const Loaded missing = load(base("  sms: { kind: sms, address: phone, consent: consent.fax }\n"));
  BOOST_TEST(all(missing) == "E0107 10:46 `consent.fax`");
  const Loaded wrong_type = load(base("  sms: { kind: sms, address: phone, consent: phone }\n"));
  BOOST_TEST(all(wrong_type) == "E0107 10:46 `phone`");
  BOOST_TEST(wrong_type.diags()[0].message ==
             "channel `sms` takes its consent from `phone`, which is not a bool field of the profile");
}

BOOST_AUTO_TEST_CASE(e0108_unknown_provider) {
  const Loaded l = load(base("  sms: { kind: sms, address: phone, provider: smsc }\n"));
  BOOST_TEST(all(l) == "E0108 10:47 `smsc`");
}

BOOST_AUTO_TEST_CASE(e0109_bad_quiet_hours) {
  for (const char* bad : {"22:00-09:00", "25:00..09:00", "22:00..9", "22:60..09:00", "..", "night"}) {
    BOOST_TEST_CONTEXT(bad) {
      const Loaded l = load(std::string("quiet_hours: \"") + bad + "\"\n");
      BOOST_TEST(all(l) == std::string("E0109 1:14 `\"") + bad + "\"`");
    }
  }
  const Loaded l = load("quiet_hours: 22:00-09:00\n");
  BOOST_TEST(l.diags()[0].message == "`22:00-09:00` is not a quiet-hours window");
}

BOOST_AUTO_TEST_CASE(e0110_unknown_timezone) {
  const Loaded l = load("timezone: Mars/Olympus_Mons\n");
  BOOST_TEST(all(l) == "E0110 1:11 `Mars/Olympus_Mons`");
  BOOST_TEST(l.diags()[0].message == "unknown time zone `Mars/Olympus_Mons`");
  BOOST_TEST(all(load("timezone: Asia/Yekaterinburg\n")) == "");
  BOOST_TEST(all(load("timezone: UTC\n")) == "");
}

BOOST_AUTO_TEST_CASE(e0111_bad_caps) {
  for (const char* bad :
       {"3 a day", "0 per 1d", "3 per 0d", "3 per", "per 1d", "3 per 1d extra", "-1 per 1d", "3 per 1y"}) {
    BOOST_TEST_CONTEXT(bad) {
      const Loaded l = load(base("", std::string("caps:\n  all: \"") + bad + "\"\n"));
      BOOST_TEST(all(l) == std::string("E0111 11:8 `\"") + bad + "\"`");
    }
  }
}

BOOST_AUTO_TEST_CASE(e0112_missing_keys) {
  const Loaded kind = load(base("  sms: { address: phone }\n"));
  BOOST_TEST(all(kind) == "E0112 10:3 `sms`");
  BOOST_TEST(kind.diags()[0].message == "channel `sms` needs `kind`");
  const Loaded url = load("providers:\n  hook: { type: webhook, timeout: 5s }\n");
  BOOST_TEST(all(url) == "E0112 2:3 `hook`");
  BOOST_TEST(url.diags()[0].message == "a webhook provider needs `url`");
  BOOST_TEST(codes(load("providers:\n  m: { type: smtp, port: 25 }\n")) == "E0112");
  BOOST_TEST(codes(load("providers:\n  f: { type: file }\n")) == "E0112");
  BOOST_TEST(codes(load("providers:\n  f: { path: x }\n")) == "E0112");
}

BOOST_AUTO_TEST_CASE(e0113_unknown_provider_type) {
  const Loaded l = load("providers:\n  bird: { type: carrier_pigeon }\n");
  BOOST_TEST(all(l) == "E0113 2:17 `carrier_pigeon`");
  BOOST_TEST(l.diags()[0].message == "unknown provider type `carrier_pigeon`");
  // A channel naming it is not reported again as an unknown provider.
  const Loaded again = load(
      "providers:\n  bird: { type: carrier_pigeon }\nprofile: { phone: string }\n"
      "channels:\n  sms: { kind: sms, address: phone, provider: bird }\n");
  BOOST_TEST(codes(again) == "E0113");
}

BOOST_AUTO_TEST_CASE(unknown_provider_setting) {
  const Loaded l = load("providers:\n  esp: { type: webhook, url: \"http://x\", timout: 5s }\n");
  BOOST_TEST(all(l) == "E0102 2:42 `timout`");
  BOOST_TEST(l.diags()[0].hint == "did you mean `timeout`?");
}

BOOST_AUTO_TEST_CASE(locations_in_block_style_and_after_cyrillic) {
  const Loaded l =
      load("# Проект\nprofile:\n  имя: string\nchannels:\n  sms:\n    kind: sms\n    address: телефон\n");
  BOOST_TEST(all(l) == "E0104 3:3 `имя` | E0106 7:14 `телефон`");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(files)

BOOST_AUTO_TEST_CASE(find_project_file_walks_up) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("cascade-find-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "a" / "b");
  std::ofstream(root / "cascade.yaml") << "profile: {}\n";
  std::ofstream(root / "a" / "b" / "x.cascade") << "";
  const std::string expected = (root / "cascade.yaml").string();
  BOOST_TEST(project::find_project_file((root / "a" / "b").string()).value_or("") == expected);
  BOOST_TEST(project::find_project_file((root / "a" / "b" / "x.cascade").string()).value_or("") == expected);
  BOOST_TEST(project::find_project_file(root.string()).value_or("") == expected);
  fs::remove(root / "cascade.yaml");
  BOOST_TEST(!project::find_project_file((root / "a").string()).has_value());
  BOOST_TEST(!project::find_project_file((root / "missing" / "dir").string()).has_value());
  fs::remove_all(root);
}

BOOST_AUTO_TEST_CASE(load_from_disk_and_unreadable_file) {
  source::SourceMap sources;
  const auto missing = project::load("/nonexistent/cascade.yaml", sources);
  BOOST_REQUIRE(missing.diagnostics.items().size() == 1u);
  BOOST_TEST(diag::info(missing.diagnostics.items()[0].code).code == "E0900");
  BOOST_TEST(!missing.diagnostics.items()[0].has_span);
  BOOST_TEST(!missing.project.has_value());
}

BOOST_AUTO_TEST_CASE(text_is_added_to_the_source_map) {
  const Loaded l = load("profile: {}\n", "proj/cascade.yaml");
  BOOST_TEST(l.sources->size() == 1u);
  BOOST_TEST(l.sources->file(0).path() == "proj/cascade.yaml");
  BOOST_TEST(l.result.project->file == 0u);
  BOOST_TEST(l.result.project->path == "proj/cascade.yaml");
}

BOOST_AUTO_TEST_SUITE_END()
