#include "topics/topic_state.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::topics {

namespace json = boost::json;

namespace {

std::string_view kind_name(TextEdit::Kind k) {
  switch (k) {
    case TextEdit::Kind::insert:
      return "insert";
    case TextEdit::Kind::erase:
      return "delete";
    case TextEdit::Kind::set:
      break;
  }
  return "set";
}

}  // namespace

TopicState::TopicState(std::string n, TopicType t)
    : name(std::move(n)), type(t), value(default_topic_value(t)) {
  value_bytes = json::serialize(value).size();
  if (type == TopicType::string) version = initial_version();
}

void TopicState::remember(TextEdit edit, std::size_t limit, std::size_t max_bytes) {
  history_bytes += edit.text.size();
  history.push_back(std::move(edit));
  while (!history.empty() && (history.size() > limit || history_bytes > max_bytes)) {
    history_bytes -= history.front().text.size();
    history.pop_front();
    history_from_init = false;
  }
}

TopicRecord TopicState::to_record() const {
  TopicRecord r;
  r.name = name;
  r.type = std::string(topic_type_name(type));
  r.value = json::serialize(value);
  r.version = version;
  r.revision = revision;
  if (type == TopicType::string) {
    json::array edits;
    for (const auto& e : history)
      edits.push_back(json::object{{"type", kind_name(e.kind)},
                                   {"base", e.base},
                                   {"result", e.result},
                                   {"position", e.position},
                                   {"text", e.text}});
    r.history = json::serialize(
        json::object{{"from_init", history_from_init}, {"edits", std::move(edits)}});
  }
  return r;
}

std::optional<TopicState> TopicState::from_record(const TopicRecord& r) {
  auto type = parse_topic_type(r.type);
  if (!type) return std::nullopt;
  std::error_code ec;
  json::value value = json::parse(r.value, ec);
  if (ec || !fits_topic_type(*type, value)) return std::nullopt;
  TopicState t(r.name, *type);
  t.value = std::move(value);
  t.value_bytes = r.value.size();
  t.revision = r.revision;
  if (*type != TopicType::string) return t;
  t.version = r.version.empty() ? t.initial_version() : r.version;
  if (r.history.empty()) {
    t.history_from_init = r.version.empty() || r.version == t.initial_version();
    return t;
  }
  json::value h = json::parse(r.history, ec);
  const json::object* ho = ec ? nullptr : h.if_object();
  if (!ho) return std::nullopt;
  const json::value* from_init = ho->if_contains("from_init");
  t.history_from_init = from_init && from_init->is_bool() && from_init->get_bool();
  const json::value* edits = ho->if_contains("edits");
  if (!edits || !edits->is_array()) return t;
  for (const auto& item : edits->get_array()) {
    const json::object* o = item.if_object();
    if (!o) return std::nullopt;
    const json::value *type_v = o->if_contains("type"), *base = o->if_contains("base"),
                      *result = o->if_contains("result"), *pos = o->if_contains("position"),
                      *text = o->if_contains("text");
    if (!type_v || !type_v->is_string() || !base || !base->is_string() || !result ||
        !result->is_string() || !pos ||
        !(pos->is_uint64() || (pos->is_int64() && pos->get_int64() >= 0)) || !text ||
        !text->is_string())
      return std::nullopt;
    TextEdit e;
    e.kind = type_v->get_string() == "insert"   ? TextEdit::Kind::insert
             : type_v->get_string() == "delete" ? TextEdit::Kind::erase
                                                : TextEdit::Kind::set;
    e.base = base->get_string();
    e.result = result->get_string();
    e.position = static_cast<std::size_t>(
        pos->is_uint64() ? pos->get_uint64() : static_cast<std::uint64_t>(pos->get_int64()));
    e.text = text->get_string();
    t.history_bytes += e.text.size();
    t.history.push_back(std::move(e));
  }
  return t;
}

}  // namespace parley::topics
