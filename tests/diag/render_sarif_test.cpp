// SARIF output, checked three ways:
// 1. the REQUIRED fields of the SARIF 2.1.0 schema and what GitHub code scanning needs
//    (ruleId, a valid level, a relative URI, regions from 1), written out by hand below;
// 2. the full SARIF 2.1.0 JSON schema (sarif-schema-2.1.0-rtm.5.json, as shipped in the
//    MIT-licensed npm package @microsoft/jest-sarif), with a small validator for the
//    draft-04 keywords that schema uses;
// 3. exact values for URIs, regions, levels, notifications and properties.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cascade/compiler/render.hpp"
#include "helpers.hpp"

using namespace cascade;
namespace json = boost::json;
using cascade::test::span_of;

namespace {

// ---- 1. required fields, by hand ------------------------------------------------------

struct Checker {
  std::vector<std::string> problems;
  std::set<std::string> outside_root;  // URIs of files that are not below the source root

  void fail(const std::string& where, const std::string& what) { problems.push_back(where + ": " + what); }

  const json::object* object(const json::value* v, const std::string& where) {
    if (v == nullptr) return fail(where, "missing"), nullptr;
    if (!v->is_object()) return fail(where, "not an object"), nullptr;
    return &v->get_object();
  }
  const json::array* array(const json::value* v, const std::string& where) {
    if (v == nullptr) return fail(where, "missing"), nullptr;
    if (!v->is_array()) return fail(where, "not an array"), nullptr;
    return &v->get_array();
  }
  std::string string(const json::value* v, const std::string& where) {
    if (v == nullptr) return fail(where, "missing"), "";
    if (!v->is_string()) return fail(where, "not a string"), "";
    return std::string(v->get_string());
  }
  std::int64_t integer(const json::value* v, const std::string& where, std::int64_t min) {
    if (v == nullptr) return fail(where, "missing"), 0;
    if (!v->is_int64() && !v->is_uint64()) return fail(where, "not an integer"), 0;
    const std::int64_t n = v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
    if (n < min) fail(where, "less than " + std::to_string(min));
    return n;
  }
  void message(const json::value* v, const std::string& where) {
    const json::object* m = object(v, where);
    if (m == nullptr) return;
    if (!m->contains("text") && !m->contains("id")) fail(where, "has neither text nor id");
    if (m->contains("text") && string(m->if_contains("text"), where + ".text").empty())
      fail(where, "empty text");
  }
  void level(const json::value* v, const std::string& where) {
    if (v == nullptr) return;  // optional; "warning" by default
    static const std::set<std::string> kLevels{"none", "note", "warning", "error"};
    if (!kLevels.count(string(v, where))) fail(where, "not a SARIF level");
  }
  void physical_location(const json::value* v, const std::string& where, bool require_relative) {
    const json::object* p = object(v, where);
    if (p == nullptr) return;
    const json::object* artifact = object(p->if_contains("artifactLocation"), where + ".artifactLocation");
    if (artifact != nullptr) {
      const std::string uri = string(artifact->if_contains("uri"), where + ".artifactLocation.uri");
      if (require_relative && !outside_root.count(uri)) {
        if (uri.rfind("file:", 0) == 0 || (!uri.empty() && uri[0] == '/'))
          fail(where, "absolute URI for a file below the source root: " + uri);
        if (string(artifact->if_contains("uriBaseId"), where + ".uriBaseId") != "%SRCROOT%")
          fail(where, "relative URI without the %SRCROOT% base");
      }
    }
    const json::object* region = object(p->if_contains("region"), where + ".region");
    if (region == nullptr) return;
    const auto start_line = integer(region->if_contains("startLine"), where + ".region.startLine", 1);
    const auto start_col = integer(region->if_contains("startColumn"), where + ".region.startColumn", 1);
    const auto end_line = integer(region->if_contains("endLine"), where + ".region.endLine", start_line);
    const auto end_col = integer(region->if_contains("endColumn"), where + ".region.endColumn", 1);
    if (end_line == start_line && end_col < start_col) fail(where, "region ends before it starts");
  }

  // log -> runs[] -> tool.driver.name; rules[].id; results[].message etc.
  void log(const json::value& doc) {
    const json::object* root = object(&doc, "log");
    if (root == nullptr) return;
    if (string(root->if_contains("version"), "log.version") != "2.1.0") fail("log.version", "not 2.1.0");
    const json::array* runs = array(root->if_contains("runs"), "log.runs");
    if (runs == nullptr) return;
    for (std::size_t r = 0; r < runs->size(); ++r) {
      const std::string at = "runs[" + std::to_string(r) + "]";
      const json::object* run = object(&(*runs)[r], at);
      if (run == nullptr) continue;
      const json::object* tool = object(run->if_contains("tool"), at + ".tool");
      const json::object* driver = tool ? object(tool->if_contains("driver"), at + ".tool.driver") : nullptr;
      if (driver == nullptr) continue;
      if (string(driver->if_contains("name"), at + ".tool.driver.name").empty())
        fail(at, "empty driver name");
      std::vector<std::string> rule_ids;
      if (const json::array* rules = array(driver->if_contains("rules"), at + ".tool.driver.rules")) {
        for (std::size_t i = 0; i < rules->size(); ++i) {
          const std::string rat = at + ".rules[" + std::to_string(i) + "]";
          const json::object* rule = object(&(*rules)[i], rat);
          if (rule == nullptr) continue;
          rule_ids.push_back(string(rule->if_contains("id"), rat + ".id"));
          // GitHub shows these; its upload rejects rules without them.
          message(rule->if_contains("shortDescription"), rat + ".shortDescription");
          message(rule->if_contains("fullDescription"), rat + ".fullDescription");
          message(rule->if_contains("help"), rat + ".help");
          if (const json::object* config =
                  object(rule->if_contains("defaultConfiguration"), rat + ".defaultConfiguration"))
            level(config->if_contains("level"), rat + ".defaultConfiguration.level");
        }
      }
      if (const json::value* kind = run->if_contains("columnKind")) {
        const std::string k = string(kind, at + ".columnKind");
        if (k != "unicodeCodePoints" && k != "utf16CodeUnits") fail(at + ".columnKind", "invalid");
      }
      if (const json::value* bases = run->if_contains("originalUriBaseIds")) {
        if (const json::object* b = object(bases, at + ".originalUriBaseIds")) {
          for (const auto& kv : *b) {
            const json::object* loc =
                object(&kv.value(), at + ".originalUriBaseIds." + std::string(kv.key()));
            if (loc && loc->contains("uri")) {
              const std::string uri = string(loc->if_contains("uri"), "base uri");
              if (uri.empty() || uri.back() != '/') fail(at, "a base URI must end with /");
            }
          }
        }
      }
      if (const json::value* inv = run->if_contains("invocations")) {
        if (const json::array* invs = array(inv, at + ".invocations")) {
          for (const auto& i : *invs) {
            const json::object* o = object(&i, at + ".invocation");
            if (o == nullptr) continue;
            if (!o->contains("executionSuccessful") || !o->at("executionSuccessful").is_bool())
              fail(at + ".invocation", "executionSuccessful is required and boolean");
            if (const json::value* ns = o->if_contains("toolExecutionNotifications"))
              if (const json::array* a = array(ns, at + ".toolExecutionNotifications"))
                for (const auto& n : *a) {
                  const json::object* no = object(&n, at + ".notification");
                  if (no == nullptr) continue;
                  message(no->if_contains("message"), at + ".notification.message");
                  level(no->if_contains("level"), at + ".notification.level");
                }
          }
        }
      }
      const json::array* results = array(run->if_contains("results"), at + ".results");
      if (results == nullptr) continue;
      for (std::size_t i = 0; i < results->size(); ++i) {
        const std::string res = at + ".results[" + std::to_string(i) + "]";
        const json::object* result = object(&(*results)[i], res);
        if (result == nullptr) continue;
        message(result->if_contains("message"), res + ".message");
        level(result->if_contains("level"), res + ".level");
        const std::string rule_id = string(result->if_contains("ruleId"), res + ".ruleId");
        if (const json::value* index = result->if_contains("ruleIndex")) {
          const auto n = integer(index, res + ".ruleIndex", 0);
          if (n >= static_cast<std::int64_t>(rule_ids.size()) ||
              rule_ids[static_cast<std::size_t>(n)] != rule_id)
            fail(res, "ruleIndex does not point at rule " + rule_id);
        }
        const json::array* locations = array(result->if_contains("locations"), res + ".locations");
        if (locations == nullptr || locations->empty()) {
          fail(res, "code scanning needs a location on every result");
          continue;
        }
        for (const auto& l : *locations) {
          const json::object* loc = object(&l, res + ".location");
          if (loc) physical_location(loc->if_contains("physicalLocation"), res + ".physicalLocation", true);
        }
      }
    }
  }
};

// ---- 2. the real schema ---------------------------------------------------------------

// Validates against a draft-04 schema, for the keywords the SARIF schema uses: $ref (local),
// type, enum, properties, additionalProperties, required, items, minItems, uniqueItems,
// minimum, maximum, pattern, format (uri, uri-reference), anyOf, oneOf.
class SchemaValidator {
 public:
  explicit SchemaValidator(json::value schema) : schema_(std::move(schema)) {}

  std::vector<std::string> validate(const json::value& doc) {
    errors_.clear();
    check(schema_, doc, "$");
    return errors_;
  }

 private:
  json::value schema_;
  std::vector<std::string> errors_;

  const json::value& resolve(const std::string& ref) const {
    const std::string prefix = "#/definitions/";
    if (ref.rfind(prefix, 0) != 0) throw std::runtime_error("unsupported $ref " + ref);
    return schema_.at("definitions").at(ref.substr(prefix.size()));
  }

  static bool has_type(const json::value& v, std::string_view type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_bool();
    if (type == "null") return v.is_null();
    if (type == "integer") return v.is_int64() || v.is_uint64();
    if (type == "number") return v.is_number();
    return false;
  }

  static double number(const json::value& v) { return v.to_number<double>(); }

  bool matches(const json::value& schema, const json::value& v) {
    std::vector<std::string> saved;
    saved.swap(errors_);
    check(schema, v, "");
    const bool ok = errors_.empty();
    errors_.swap(saved);
    return ok;
  }

  void check(const json::value& schema_value, const json::value& v, const std::string& at) {
    const json::object& s = schema_value.as_object();
    if (const json::value* ref = s.if_contains("$ref"))
      return check(resolve(std::string(ref->as_string())), v, at);
    if (const json::value* type = s.if_contains("type")) {
      bool ok = false;
      if (type->is_string())
        ok = has_type(v, type->as_string());
      else
        for (const auto& t : type->as_array()) ok = ok || has_type(v, t.as_string());
      if (!ok) return errors_.push_back(at + ": wrong type, expected " + json::serialize(*type));
    }
    if (const json::value* e = s.if_contains("enum")) {
      const auto& options = e->as_array();
      if (std::find(options.begin(), options.end(), v) == options.end())
        errors_.push_back(at + ": " + json::serialize(v) + " not in " + json::serialize(*e));
    }
    if (v.is_object()) {
      const json::object& o = v.get_object();
      const json::object* props = s.contains("properties") ? &s.at("properties").as_object() : nullptr;
      if (const json::value* req = s.if_contains("required"))
        for (const auto& k : req->as_array())
          if (!o.contains(k.as_string()))
            errors_.push_back(at + ": missing required " + std::string(k.as_string()));
      for (const auto& kv : o) {
        const std::string child = at + "." + std::string(kv.key());
        if (props != nullptr && props->contains(kv.key())) {
          check(props->at(kv.key()), kv.value(), child);
        } else if (const json::value* extra = s.if_contains("additionalProperties")) {
          if (extra->is_bool() && !extra->as_bool()) errors_.push_back(child + ": property not allowed");
          if (extra->is_object()) check(*extra, kv.value(), child);
        }
      }
    }
    if (v.is_array()) {
      const json::array& a = v.get_array();
      if (const json::value* min = s.if_contains("minItems"))
        if (static_cast<double>(a.size()) < number(*min)) errors_.push_back(at + ": too few items");
      if (const json::value* unique = s.if_contains("uniqueItems"); unique && unique->as_bool()) {
        std::set<std::string> seen;
        for (const auto& e : a)
          if (!seen.insert(json::serialize(e)).second) errors_.push_back(at + ": duplicate items");
      }
      if (const json::value* items = s.if_contains("items"))
        for (std::size_t i = 0; i < a.size(); ++i) check(*items, a[i], at + "[" + std::to_string(i) + "]");
    }
    if (v.is_number()) {
      if (const json::value* min = s.if_contains("minimum"))
        if (number(v) < number(*min)) errors_.push_back(at + ": below minimum");
      if (const json::value* max = s.if_contains("maximum"))
        if (number(v) > number(*max)) errors_.push_back(at + ": above maximum");
    }
    if (v.is_string()) {
      const std::string str(v.get_string());
      if (const json::value* pattern = s.if_contains("pattern"))
        if (!std::regex_search(str, std::regex(std::string(pattern->as_string()))))
          errors_.push_back(at + ": does not match " + std::string(pattern->as_string()));
      if (const json::value* format = s.if_contains("format")) {
        static const std::regex kAbsolute("^[A-Za-z][A-Za-z0-9+.-]*:[^ ]*$");
        static const std::regex kReference("^[^ \\\\]*$");
        if (format->as_string() == "uri" && !std::regex_match(str, kAbsolute))
          errors_.push_back(at + ": not an absolute URI: " + str);
        if (format->as_string() == "uri-reference" && !std::regex_match(str, kReference))
          errors_.push_back(at + ": not a URI reference: " + str);
      }
    }
    if (const json::value* any = s.if_contains("anyOf")) {
      bool ok = false;
      for (const auto& alt : any->as_array()) ok = ok || matches(alt, v);
      if (!ok) errors_.push_back(at + ": matches none of anyOf");
    }
    if (const json::value* one = s.if_contains("oneOf")) {
      int n = 0;
      for (const auto& alt : one->as_array()) n += matches(alt, v) ? 1 : 0;
      if (n != 1) errors_.push_back(at + ": matches " + std::to_string(n) + " of oneOf");
    }
  }
};

json::value load_schema() {
  std::ifstream in(std::string(CASCADE_SOURCE_DIR) + "/tests/diag/sarif-schema-2.1.0-rtm.5.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// A realistic run: a located error with a note and data, a warning, an unplaced error, a
// file outside the root, Cyrillic and a space in a path.
struct Fixture {
  source::SourceMap sources;
  diag::Diagnostics diags;
  diag::SarifOptions options{"0.1.0", "/repo", false};

  Fixture() {
    const auto a = sources.add("/repo/examples/корзина b.cascade",
                               "scenario a {\n  wait \"1h\"\n  send sms \"Привет\"\n}\n");
    const auto out = sources.add("/elsewhere/lib.cascade", "segment vip = true\n");
    auto d = diag::make(diag::Code::NotDuration, span_of(sources, a, "\"1h\""), "`wait`", "string");
    d.notes.push_back({span_of(sources, out, "vip"), "declared here"});
    diags.add(std::move(d));
    auto sms =
        diag::make(diag::Code::SmsSegments, span_of(sources, a, "\"Привет\""), "", 1, "UCS-2", 6, "fine");
    sms.data["encoding"] = "UCS-2";
    sms.data["characters"] = 6;
    sms.data["segments"] = 1;
    diags.add(std::move(sms));
    diags.add(diag::make(diag::Code::DuplicateName, span_of(sources, out, "vip"), "vip"));
    diags.add(diag::make_unplaced(diag::Code::ProjectNotFound, "examples"));
  }

  json::value render() const { return json::parse(diag::render_sarif(diags, sources, options)); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sarif)

BOOST_AUTO_TEST_CASE(required_fields_and_github_rules_hold) {
  Fixture f;
  const json::value doc = f.render();
  Checker checker;
  checker.outside_root = {"file:///elsewhere/lib.cascade"};  // the only file not below /repo
  checker.log(doc);
  BOOST_TEST(checker.problems.empty(), join(checker.problems));

  // The checker itself notices what GitHub would reject.
  json::value bad = doc;
  json::object& result = bad.at("runs").at(0).at("results").at(0).as_object();
  result.erase("ruleId");
  result["level"] = "fatal";
  result.at("locations").at(0).at("physicalLocation").at("region").as_object()["startLine"] = 0;
  bad.at("runs").at(0).at("results").at(1).as_object()["locations"] = json::array{};
  Checker strict;
  strict.log(bad);
  const std::string all = join(strict.problems);
  BOOST_TEST(all.find("ruleId: missing") != std::string::npos, all);
  BOOST_TEST(all.find("level: not a SARIF level") != std::string::npos, all);
  BOOST_TEST(all.find("startLine: less than 1") != std::string::npos, all);
  BOOST_TEST(all.find("needs a location") != std::string::npos, all);
}

BOOST_AUTO_TEST_CASE(valid_against_the_sarif_2_1_0_schema) {
  SchemaValidator validator(load_schema());
  Fixture f;
  const auto errors = validator.validate(f.render());
  BOOST_TEST(errors.empty(), join(errors));

  // An empty run and one with the absolute root are valid too.
  source::SourceMap none;
  diag::Diagnostics clean;
  BOOST_TEST(validator.validate(json::parse(diag::render_sarif(clean, none, "0.1.0"))).empty());
  f.options.absolute_root = true;
  BOOST_TEST(validator.validate(f.render()).empty());
}

BOOST_AUTO_TEST_CASE(the_validator_catches_mistakes) {
  SchemaValidator validator(load_schema());
  Fixture f;
  json::value doc = f.render();
  doc.at("runs").at(0).at("results").at(0).as_object()["level"] = "fatal";
  doc.at("runs").at(0).at("results").at(0).as_object()["bogus"] = 1;
  doc.at("runs").at(0).as_object().erase("tool");
  const auto errors = validator.validate(doc);
  const std::string all = join(errors);
  BOOST_TEST(all.find("level") != std::string::npos, all);
  BOOST_TEST(all.find("bogus: property not allowed") != std::string::npos, all);
  BOOST_TEST(all.find("missing required tool") != std::string::npos, all);
}

BOOST_AUTO_TEST_CASE(every_table_entry_is_a_rule) {
  Fixture f;
  const json::value doc = f.render();
  const json::object& driver = doc.at("runs").at(0).at("tool").at("driver").as_object();
  BOOST_TEST(driver.at("name") == "cascade");
  BOOST_TEST(driver.at("version") == "0.1.0");
  BOOST_TEST(!driver.contains("informationUri"));  // optional, and no public home page exists yet
  const json::array& rules = driver.at("rules").as_array();
  const auto table = diag::table();
  BOOST_REQUIRE_EQUAL(rules.size(), table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const json::object& rule = rules[i].as_object();
    BOOST_TEST(rule.at("id").as_string() == table[i].code);
    BOOST_TEST(!rule.at("help").at("text").as_string().empty());
    BOOST_TEST(rule.at("defaultConfiguration").at("level") ==
               (table[i].severity == diag::Severity::Warning ? "warning" : "error"));
  }
  const json::object& e0300 = rules[static_cast<std::size_t>(diag::Code::TypeMismatch)].as_object();
  BOOST_TEST(e0300.at("name") == "TypeMismatch");
  BOOST_TEST(e0300.at("shortDescription").at("text") == "Type mismatch");
  const json::object& e0206 = rules[static_cast<std::size_t>(diag::Code::DuplicateName)].as_object();
  BOOST_TEST(e0206.at("fullDescription").at("text") == "Duplicate name: `…` is already defined");
  BOOST_TEST(e0206.at("help").at("text") == "rename one of them");
}

BOOST_AUTO_TEST_CASE(results_locations_and_properties) {
  Fixture f;
  const json::value doc = f.render();
  const json::object& run = doc.at("runs").at(0).as_object();
  BOOST_TEST(doc.at("$schema") == "https://json.schemastore.org/sarif-2.1.0.json");
  BOOST_TEST(doc.at("version") == "2.1.0");
  BOOST_TEST(run.at("columnKind") == "unicodeCodePoints");
  const json::array& results = run.at("results").as_array();
  BOOST_REQUIRE_EQUAL(results.size(), 3u);  // the unplaced one is a notification

  const json::object& first = results[0].as_object();
  BOOST_TEST(first.at("ruleId") == "E0303");
  BOOST_TEST(first.at("ruleIndex").as_int64() == static_cast<std::int64_t>(diag::Code::NotDuration));
  BOOST_TEST(first.at("level") == "error");
  BOOST_TEST(first.at("message").at("text") ==
             "`wait` needs a duration, but this is `string`\nhint: write a duration like 24h or 1h30m");
  const json::object& phys = first.at("locations").at(0).at("physicalLocation").as_object();
  BOOST_TEST(phys.at("artifactLocation").at("uri") ==
             "examples/%D0%BA%D0%BE%D1%80%D0%B7%D0%B8%D0%BD%D0%B0%20b.cascade");
  BOOST_TEST(phys.at("artifactLocation").at("uriBaseId") == "%SRCROOT%");
  const json::object& region = phys.at("region").as_object();
  BOOST_TEST(region.at("startLine").as_int64() == 2);
  BOOST_TEST(region.at("startColumn").as_int64() == 8);
  BOOST_TEST(region.at("endLine").as_int64() == 2);
  BOOST_TEST(region.at("endColumn").as_int64() == 12);
  BOOST_TEST(region.at("snippet").at("text") == "\"1h\"");
  const json::object& related = first.at("relatedLocations").at(0).as_object();
  BOOST_TEST(related.at("message").at("text") == "declared here");
  BOOST_TEST(related.at("physicalLocation").at("artifactLocation").at("uri") ==
             "file:///elsewhere/lib.cascade");
  BOOST_TEST(!related.at("physicalLocation").at("artifactLocation").as_object().contains("uriBaseId"));

  const json::object& sms = results[1].as_object();
  BOOST_TEST(sms.at("level") == "warning");
  BOOST_TEST(sms.at("properties").at("encoding") == "UCS-2");
  BOOST_TEST(sms.at("properties").at("segments").as_int64() == 1);
  const json::object& sms_region = sms.at("locations").at(0).at("physicalLocation").at("region").as_object();
  BOOST_TEST(sms_region.at("startColumn").as_int64() == 12);  // code points: "Привет" is 6 wide
  BOOST_TEST(sms_region.at("endColumn").as_int64() == 20);

  const json::object& invocation = run.at("invocations").at(0).as_object();
  BOOST_TEST(invocation.at("executionSuccessful") == false);
  const json::object& note = invocation.at("toolExecutionNotifications").at(0).as_object();
  BOOST_TEST(note.at("associatedRule").at("id") == "E0100");
  BOOST_TEST(note.at("level") == "error");

  BOOST_TEST(run.at("originalUriBaseIds").at("%SRCROOT%").as_object().contains("description"));
  f.options.absolute_root = true;
  BOOST_TEST(f.render().at("runs").at(0).at("originalUriBaseIds").at("%SRCROOT%").at("uri") ==
             "file:///repo/");
}

BOOST_AUTO_TEST_CASE(werror_levels_and_clean_runs) {
  Fixture f;
  f.diags.promote_warnings();
  const json::value doc = f.render();
  for (const auto& r : doc.at("runs").at(0).at("results").as_array()) BOOST_TEST(r.at("level") == "error");

  source::SourceMap none;
  diag::Diagnostics clean;
  const json::value empty = json::parse(diag::render_sarif(clean, none, "0.1.0"));
  BOOST_TEST(empty.at("runs").at(0).at("results").as_array().empty());
  BOOST_TEST(empty.at("runs").at(0).at("invocations").at(0).at("executionSuccessful") == true);
}

BOOST_AUTO_TEST_CASE(uris) {
  bool relative = false;
  BOOST_TEST(diag::sarif_uri("examples/a.cascade", "", relative) == "examples/a.cascade");
  BOOST_TEST(relative);
  BOOST_TEST(diag::sarif_uri("./examples/../x/a.cascade", "", relative) == "x/a.cascade");
  BOOST_TEST(diag::sarif_uri("/repo/x/a.cascade", "/repo", relative) == "x/a.cascade");
  BOOST_TEST(relative);
  BOOST_TEST(diag::sarif_uri("/repo2/a.cascade", "/repo", relative) == "file:///repo2/a.cascade");
  BOOST_TEST(!relative);
  BOOST_TEST(diag::sarif_uri("/other/a#1.cascade", "/repo", relative) == "file:///other/a%231.cascade");
  // A relative path is relative to the current directory, whatever the root.
  const auto cwd = std::filesystem::current_path();
  BOOST_TEST(diag::sarif_uri("a.cascade", cwd, relative) == "a.cascade");
  BOOST_TEST(relative);
}

BOOST_AUTO_TEST_SUITE_END()
