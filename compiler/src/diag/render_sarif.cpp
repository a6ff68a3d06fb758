// The SARIF 2.1.0 renderer, for code-scanning tools (GitHub code scanning in particular).
//
// What GitHub needs and why the output looks as it does:
// - every rule of the table is listed (ruleIndex points into that list), each with a
//   shortDescription, fullDescription and help text, all non-empty;
// - every result has a ruleId, a valid level, message.text and exactly one location with a
//   URI relative to %SRCROOT% (the checkout), because absolute file:// URIs do not match
//   files in the repository;
// - diagnostics with no place in a file (no project file, an unreadable path) cannot be
//   results, so they are the invocation's toolExecutionNotifications, and they make
//   executionSuccessful false when they are errors.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <cctype>
#include <system_error>

#include "cascade/compiler/render.hpp"
#include "render_common.hpp"

namespace cascade::diag {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::string_view kSchema = "https://json.schemastore.org/sarif-2.1.0.json";
constexpr std::string_view kSrcRoot = "%SRCROOT%";

std::string percent_encode(std::string_view path) {
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += ch;
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string level_of(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

// "E0300" -> the tag GitHub shows next to the alert.
std::string_view category_of(std::string_view code) {
  if (code.size() < 3) return "cascade";
  if (code[0] == 'W') return "lint";
  switch (code[2]) {
    case '0':
      return "syntax";
    case '1':
      return "project";
    case '2':
      return "names";
    case '3':
      return "types";
    case '4':
      return "scenario";
    case '5':
      return "channels";
    case '9':
      return "limits";
    default:
      return "cascade";
  }
}

// "type-mismatch" -> "Type mismatch".
std::string humanize(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c == '-') c = ' ';
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

bool says_something(std::string_view described) {
  for (const char c : described)
    if (std::isalpha(static_cast<unsigned char>(c))) return true;
  return false;
}

json::object text(std::string s) {
  json::object o;
  o["text"] = detail::valid_utf8(s);
  return o;
}

json::object rule_of(const Info& i) {
  const std::string short_text = humanize(i.name);
  const std::string message = detail::describe_template(i.message);
  const std::string hint = detail::describe_template(i.hint);
  const std::string full = says_something(message) ? fmt::format("{}: {}", short_text, message) : short_text;
  json::object rule;
  rule["id"] = i.code;
  rule["name"] = detail::pascal_case(i.name);
  rule["shortDescription"] = text(short_text);
  rule["fullDescription"] = text(full);
  rule["help"] = text(says_something(hint) ? hint : full);
  json::object config;
  config["level"] = level_of(i.severity);
  rule["defaultConfiguration"] = std::move(config);
  json::object props;
  props["tags"] = json::array{"cascade", category_of(i.code)};
  rule["properties"] = std::move(props);
  return rule;
}

json::object physical(const detail::Location& loc, const fs::path& root) {
  bool relative = false;
  json::object artifact;
  artifact["uri"] = sarif_uri(loc.file->path(), root, relative);
  if (relative) artifact["uriBaseId"] = kSrcRoot;
  json::object region;
  region["startLine"] = loc.start.line;
  region["startColumn"] = loc.start.column;
  region["endLine"] = loc.stop.line;
  region["endColumn"] = loc.stop.column;
  if (loc.stop.line == loc.start.line && loc.end > loc.begin) {
    const std::string_view snippet =
        std::string_view(loc.file->text()).substr(loc.begin, loc.end - loc.begin);
    region["snippet"] = text(std::string(snippet));
  }
  json::object phys;
  phys["artifactLocation"] = std::move(artifact);
  phys["region"] = std::move(region);
  return phys;
}

std::string message_text(const Diagnostic& d) {
  if (d.hint.empty()) return d.message;
  return fmt::format("{}\nhint: {}", d.message, d.hint);
}

}  // namespace

std::string sarif_uri(const std::string& path, const fs::path& root, bool& relative) {
  relative = false;
  if (path.empty()) return "unknown";
  std::error_code ec;
  fs::path p(path);
  if (p.is_relative() && root.empty()) {
    relative = true;
    return percent_encode(p.lexically_normal().generic_string());
  }
  const fs::path abs = p.is_absolute() ? p.lexically_normal() : fs::absolute(p, ec).lexically_normal();
  if (!root.empty() && !ec) {
    const fs::path rel = abs.lexically_relative(root);
    const std::string r = rel.generic_string();
    if (!r.empty() && r != "." && r.rfind("..", 0) != 0) {
      relative = true;
      return percent_encode(r);
    }
  }
  return "file://" + percent_encode(abs.generic_string());
}

std::string render_sarif(const Diagnostics& diags, const source::SourceMap& sources,
                         std::string_view tool_version) {
  return render_sarif(diags, sources, SarifOptions{std::string(tool_version), {}, true});
}

std::string render_sarif(const Diagnostics& diags, const source::SourceMap& sources,
                         const SarifOptions& options) {
  fs::path root = options.source_root;
  std::error_code ec;
  if (root.empty()) root = fs::current_path(ec);
  if (!ec && !root.empty()) root = fs::absolute(root, ec).lexically_normal();
  if (ec) root.clear();
  // lexically_relative wants both sides spelled alike: no trailing separator.
  if (!root.has_filename() && root.has_parent_path() && root != root.root_path()) root = root.parent_path();

  json::array rules;
  for (const Info& i : table()) rules.push_back(rule_of(i));

  json::array results;
  json::array notifications;
  bool execution_ok = true;
  for (const Diagnostic& d : diags.items()) {
    const Info& i = info(d.code);
    const auto index = static_cast<std::size_t>(d.code);
    const std::optional<detail::Location> loc = d.has_span ? detail::locate(sources, d.span) : std::nullopt;
    if (!loc) {
      json::object n;
      n["level"] = level_of(d.severity);
      n["message"] = text(message_text(d));
      json::object rule_ref;
      rule_ref["id"] = i.code;
      rule_ref["index"] = index;
      n["associatedRule"] = std::move(rule_ref);
      notifications.push_back(std::move(n));
      if (d.severity == Severity::Error) execution_ok = false;
      continue;
    }
    json::object r;
    r["ruleId"] = i.code;
    r["ruleIndex"] = index;
    r["level"] = level_of(d.severity);
    r["message"] = text(message_text(d));
    json::object location;
    location["physicalLocation"] = physical(*loc, root);
    r["locations"] = json::array{std::move(location)};
    json::array related;
    for (const Label& n : d.notes) {
      const std::optional<detail::Location> nloc = detail::locate(sources, n.span);
      if (!nloc) continue;
      json::object rel;
      rel["id"] = related.size();
      rel["physicalLocation"] = physical(*nloc, root);
      rel["message"] = text(n.message);
      related.push_back(std::move(rel));
    }
    if (!related.empty()) r["relatedLocations"] = std::move(related);
    if (!d.data.empty()) r["properties"] = detail::sanitized(d.data);
    results.push_back(std::move(r));
  }

  json::object driver;
  driver["name"] = "cascade";
  driver["version"] = options.tool_version;
  driver["semanticVersion"] = options.tool_version;
  // No informationUri: it is optional, and the project has no public home page to name yet.
  driver["rules"] = std::move(rules);
  json::object tool;
  tool["driver"] = std::move(driver);

  json::object invocation;
  invocation["executionSuccessful"] = execution_ok;
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = std::move(notifications);

  json::object base;
  if (options.absolute_root && !root.empty()) {
    std::string uri = "file://" + percent_encode(root.generic_string());
    if (uri.back() != '/') uri += '/';  // SARIF §3.14.14: a base URI ends with a slash
    base["uri"] = uri;
  } else {
    base["description"] = text("The directory cascade was run in.");
  }
  json::object bases;
  bases[kSrcRoot] = std::move(base);

  json::object run;
  run["tool"] = std::move(tool);
  run["invocations"] = json::array{std::move(invocation)};
  run["originalUriBaseIds"] = std::move(bases);
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);

  json::object doc;
  doc["$schema"] = kSchema;
  doc["version"] = "2.1.0";
  doc["runs"] = json::array{std::move(run)};
  return detail::pretty_json(doc);
}

}  // namespace cascade::diag
