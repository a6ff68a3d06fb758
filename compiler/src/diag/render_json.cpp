// The JSON renderer: one document for scripts and editors (shape in render.hpp).
#include <boost/json.hpp>

#include "cascade/compiler/render.hpp"
#include "render_common.hpp"

namespace cascade::diag {
namespace {

namespace json = boost::json;

// file, line, column, end_line, end_column, in that order, appended to `o`.
void put_place(json::object& o, const std::optional<detail::Location>& loc) {
  if (!loc) {
    for (const char* key : {"file", "line", "column", "end_line", "end_column"}) o[key] = nullptr;
    return;
  }
  o["file"] = detail::valid_utf8(loc->file->path());
  o["line"] = loc->start.line;
  o["column"] = loc->start.column;
  o["end_line"] = loc->stop.line;
  o["end_column"] = loc->stop.column;
}

json::value text_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::string(detail::valid_utf8(s));
}

}  // namespace

std::string render_json(const Diagnostics& diags, const source::SourceMap& sources) {
  json::array items;
  for (const Diagnostic& d : diags.items()) {
    const Info& i = info(d.code);
    json::object o;
    o["code"] = i.code;
    o["severity"] = to_string(d.severity);
    o["name"] = i.name;
    o["message"] = detail::valid_utf8(d.message);
    o["hint"] = text_or_null(d.hint);
    put_place(o, d.has_span ? detail::locate(sources, d.span) : std::nullopt);
    json::array notes;
    for (const Label& n : d.notes) {
      json::object note;
      note["message"] = detail::valid_utf8(n.message);
      put_place(note, detail::locate(sources, n.span));
      notes.push_back(std::move(note));
    }
    o["notes"] = std::move(notes);
    o["data"] = detail::sanitized(d.data);
    items.push_back(std::move(o));
  }
  json::object doc;
  doc["version"] = 1;
  doc["diagnostics"] = std::move(items);
  doc["errors"] = diags.error_count();
  doc["warnings"] = diags.warning_count();
  return detail::pretty_json(doc);
}

}  // namespace cascade::diag
