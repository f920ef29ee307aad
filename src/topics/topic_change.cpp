#include "topics/topic_change.hpp"

#include <spdlog/fmt/fmt.h>

#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>

#include "topics/topic_rebase.hpp"
#include "topics/topic_text.hpp"

namespace parley::topics {

namespace json = boost::json;

namespace {

using Result = std::variant<PreparedChange, std::string>;

std::int64_t json_size(const json::value& v) {
  return static_cast<std::int64_t>(json::serialize(v).size());
}

std::optional<std::int64_t> as_int(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  return std::nullopt;
}

double as_double(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  return static_cast<double>(v.get_uint64());
}

// Validates one client change against one topic state.
class Preparer {
 public:
  Preparer(const TopicState& t, const json::object& in, const IdSource& ids,
           const ChangeLimits& limits)
      : t_(t), in_(in), ids_(ids), limits_(limits) {}

  Result run() {
    const json::value* type = in_.if_contains("type");
    if (!type || !type->is_string()) return std::string("the change has no \"type\"");
    kind_ = type->get_string();
    if (const json::value* tt = in_.if_contains("topic_type")) {
      if (!tt->is_string()) return std::string("topic_type must be a string");
      if (tt->get_string() != topic_type_name(t_.type) && tt->get_string() != "unknown")
        return fmt::format("a {} change cannot apply to {} topic '{}'",
                           std::string_view(tt->get_string()), topic_type_name(t_.type), t_.name);
    }
    if (const json::value* tn = in_.if_contains("topic_name")) {
      if (!tn->is_string() || tn->get_string() != t_.name)
        return fmt::format("the change's topic_name is not '{}'", t_.name);
    }
    if (const json::value* id = in_.if_contains("id")) {
      if (!id->is_string() || id->get_string().empty())
        return std::string("id must be a non-empty string");
      id_ = id->get_string();
    } else {
      id_ = ids_();
    }
    Result r = dispatch();
    if (auto* p = std::get_if<PreparedChange>(&r)) {
      auto limit = static_cast<std::int64_t>(limits_.max_value_bytes);
      if (static_cast<std::int64_t>(t_.value_bytes) + p->size_delta > limit)
        return fmt::format("the value of '{}' would exceed {} bytes", t_.name, limit);
    }
    return r;
  }

 private:
  Result dispatch() {
    switch (t_.type) {
      case TopicType::generic:
        if (kind_ == "set") return set();
        break;
      case TopicType::string:
        if (kind_ == "set") return set();
        if (kind_ == "insert") return text_edit(TextEdit::Kind::insert);
        if (kind_ == "delete") return text_edit(TextEdit::Kind::erase);
        break;
      case TopicType::integer:
      case TopicType::floating:
        if (kind_ == "set") return set();
        if (kind_ == "add") return add();
        break;
      case TopicType::set:
        if (kind_ == "set") return set();
        if (kind_ == "append") return append();
        if (kind_ == "remove") return remove();
        break;
      case TopicType::list:
        if (kind_ == "set") return set();
        if (kind_ == "insert") return list_insert();
        if (kind_ == "pop") return list_pop();
        break;
      case TopicType::dict:
        if (kind_ == "set") return set();
        if (kind_ == "add") return dict_add();
        if (kind_ == "pop") return dict_pop();
        if (kind_ == "change_value") return change_value();
        break;
      case TopicType::event:
        if (kind_ == "emit") return emit(ChangeKind::emit, "reversed_emit");
        if (kind_ == "reversed_emit") return emit(ChangeKind::reversed_emit, "emit");
        break;
    }
    return fmt::format("'{}' is not a change of a {} topic", kind_, topic_type_name(t_.type));
  }

  // {"topic_name", "topic_type", "type"}: how every serialized change starts.
  json::object head(std::string_view type) const {
    return json::object{
        {"topic_name", t_.name}, {"topic_type", topic_type_name(t_.type)}, {"type", type}};
  }

  const json::value* field(std::string_view key) const { return in_.if_contains(key); }
  std::string missing(std::string_view key) const {
    return fmt::format("a {} change needs \"{}\"", kind_, key);
  }
  std::string wrong(std::string_view key, std::string_view what) const {
    return fmt::format("\"{}\" of a {} change must be {}", key, kind_, what);
  }

  PreparedChange make(ChangeKind kind, json::object change, json::object inverse) const {
    PreparedChange p;
    p.kind = kind;
    p.change = std::move(change);
    p.inverse = std::move(inverse);
    return p;
  }

  // The given old_value (null when absent) against the actual one: a mismatch means the client
  // changed something else than it saw, and the change gets a new id (as the original does).
  std::string checked_id(const json::value& actual) const {
    const json::value* given = field("old_value");
    static const json::value null_value;
    return json_equal(given ? *given : null_value, actual) ? id_ : ids_();
  }

  Result set() {
    const json::value* value = field("value");
    if (!value) return missing("value");
    if (!fits_topic_type(t_.type, *value)) {
      if (t_.type == TopicType::set && value->is_array())
        return fmt::format("{} has duplicates: a set topic's items are unique",
                           json_preview(*value));
      return fmt::format("{} is not a valid value of {} topic '{}'", json_preview(*value),
                         topic_type_name(t_.type), t_.name);
    }
    std::string id = checked_id(t_.value);
    json::object change = head("set");
    change["value"] = *value;
    change["old_value"] = t_.value;
    change["id"] = id;
    json::object inverse = head("set");
    inverse["value"] = t_.value;
    inverse["old_value"] = *value;
    PreparedChange p = make(ChangeKind::set, std::move(change), std::move(inverse));
    p.result = *value;
    if (t_.type == TopicType::integer && value->is_uint64())
      p.result = static_cast<std::int64_t>(value->get_uint64());
    p.size_delta = json_size(*value) - static_cast<std::int64_t>(t_.value_bytes);
    p.edit = TextEdit{TextEdit::Kind::set, t_.version, id, 0, {}};
    return p;
  }

  Result add() {
    const json::value* value = field("value");
    if (!value) return missing("value");
    json::value result;
    if (t_.type == TopicType::integer) {
      auto v = as_int(value);
      if (!v) return wrong("value", "an integer");
      std::int64_t sum = 0;
      if (*v == INT64_MIN || __builtin_add_overflow(t_.value.get_int64(), *v, &sum))
        return fmt::format("adding {} to {} is out of range", *v, t_.value.get_int64());
      result = sum;
    } else {
      if (!value->is_number()) return wrong("value", "a number");
      double sum = as_double(t_.value) + as_double(*value);
      if (!std::isfinite(sum))
        return fmt::format("adding {} is out of range", json_preview(*value));
      result = sum;
    }
    json::object change = head("add");
    change["value"] = *value;
    change["id"] = id_;
    json::object inverse = head("add");
    if (auto v = as_int(value); v && *v != INT64_MIN)
      inverse["value"] = -*v;
    else
      inverse["value"] = -as_double(*value);
    PreparedChange p = make(ChangeKind::add, std::move(change), std::move(inverse));
    p.size_delta = json_size(result) - static_cast<std::int64_t>(t_.value_bytes);
    p.result = std::move(result);
    return p;
  }

  Result text_edit(TextEdit::Kind kind) {
    bool insert = kind == TextEdit::Kind::insert;
    std::string_view text_key = insert ? "insertion" : "deletion";
    const json::value* base = field("topic_version");
    if (!base) return missing("topic_version");
    if (!base->is_string()) return wrong("topic_version", "a string");
    const json::value* position = field("position");
    if (!position) return missing("position");
    auto pos = as_int(position);
    if (!pos || *pos < 0) return wrong("position", "an integer >= 0");
    const json::value* text = field(text_key);
    if (!text) return missing(text_key);
    if (!text->is_string()) return wrong(text_key, "a string");
    std::string result_version;
    if (const json::value* rv = field("result_topic_version")) {
      if (!rv->is_string() || rv->get_string().empty())
        return wrong("result_topic_version", "a non-empty string");
      result_version = rv->get_string();
    }

    TextEdit edit{
        kind, t_.version, {}, static_cast<std::size_t>(*pos), std::string(text->get_string())};
    std::string id = id_;
    if (base->get_string() != t_.version) {
      if (auto error = rebase_edit(t_, base->get_string(), edit)) return *error;
      id += "_adjust";
    }
    if (result_version.empty()) result_version = id;
    edit.result = result_version;

    const std::string_view value = t_.value.get_string();
    auto offset = utf8_offset(value, edit.position);
    if (!offset) {
      return fmt::format("{} invalid: invalid position {}. {} position must be between [0, {}]",
                         insert ? "Insertion" : "Deletion", edit.position,
                         insert ? "Insert" : "Delete", utf8_length(value));
    }
    if (!insert && value.substr(*offset).substr(0, edit.text.size()) != edit.text) {
      return fmt::format("Deletion invalid: {} does not appear at position {}",
                         json_preview(json::string(edit.text)), edit.position);
    }

    json::object change = head(insert ? "insert" : "delete");
    if (!insert) {  // the reference's key order: topic_version before type
      change = json::object{{"topic_name", t_.name},
                            {"topic_type", "string"},
                            {"topic_version", t_.version},
                            {"type", "delete"}};
    } else {
      change["topic_version"] = t_.version;
    }
    change["position"] = edit.position;
    change[text_key] = edit.text;
    change["result_topic_version"] = result_version;
    change["id"] = id;

    json::object inverse = head(insert ? "delete" : "insert");
    inverse["topic_version"] = result_version;
    inverse["position"] = edit.position;
    inverse[insert ? "deletion" : "insertion"] = edit.text;
    inverse["result_topic_version"] = t_.version;

    PreparedChange p = make(insert ? ChangeKind::text_insert : ChangeKind::text_delete,
                            std::move(change), std::move(inverse));
    p.offset = *offset;
    auto bytes = static_cast<std::int64_t>(edit.text.size());
    p.size_delta = insert ? bytes : -bytes;
    p.edit = std::move(edit);
    return p;
  }

  Result append() {
    const json::value* item = field("item");
    if (!item) return missing("item");
    for (const auto& existing : t_.value.get_array())
      if (json_equal(existing, *item))
        return fmt::format("Adding {} to '{}' would create a duplicate.", json_preview(*item),
                           t_.name);
    json::object change = head("append");
    change["item"] = *item;
    change["id"] = id_;
    json::object inverse = head("remove");
    inverse["item"] = *item;
    PreparedChange p = make(ChangeKind::append, std::move(change), std::move(inverse));
    p.size_delta = json_size(*item) + 1;
    return p;
  }

  Result remove() {
    const json::value* item = field("item");
    if (!item) return missing("item");
    const auto& items = t_.value.get_array();
    std::size_t index = 0;
    while (index < items.size() && !json_equal(items[index], *item)) ++index;
    if (index == items.size())
      return fmt::format("Cannot remove {} from '{}': not in the set", json_preview(*item),
                         t_.name);
    json::object change = head("remove");
    change["item"] = *item;
    change["id"] = id_;
    json::object inverse = head("append");
    inverse["item"] = *item;
    PreparedChange p = make(ChangeKind::remove, std::move(change), std::move(inverse));
    p.offset = index;
    p.size_delta = -(json_size(*item) + 1);
    return p;
  }

  // A list position: negative counts from the end (insert: -1 appends), as Python's.
  std::optional<std::size_t> list_position(bool for_insert, std::string& error) const {
    const json::value* position = field("position");
    if (!position) {
      error = missing("position");
      return std::nullopt;
    }
    auto pos = as_int(position);
    if (!pos) {
      error = wrong("position", "an integer");
      return std::nullopt;
    }
    auto size = static_cast<std::int64_t>(t_.value.get_array().size());
    std::int64_t normalized = *pos < 0 ? size + *pos + (for_insert ? 1 : 0) : *pos;
    std::int64_t last = for_insert ? size : size - 1;
    if (normalized < 0 || normalized > last) {
      error = fmt::format("position {} is out of range for '{}' ({} items)", *pos, t_.name, size);
      return std::nullopt;
    }
    return static_cast<std::size_t>(normalized);
  }

  Result list_insert() {
    const json::value* item = field("item");
    if (!item) return missing("item");
    std::string error;
    auto index = list_position(true, error);
    if (!index) return error;
    json::object change = head("insert");
    change["item"] = *item;
    change["position"] = *index;
    change["id"] = id_;
    json::object inverse = head("pop");
    inverse["position"] = *index;
    PreparedChange p = make(ChangeKind::list_insert, std::move(change), std::move(inverse));
    p.offset = *index;
    p.size_delta = json_size(*item) + 1;
    return p;
  }

  Result list_pop() {
    std::string error;
    auto index = list_position(false, error);
    if (!index) return error;
    const json::value& item = t_.value.get_array()[*index];
    json::object change = head("pop");
    change["position"] = *index;
    change["id"] = id_;
    json::object inverse = head("insert");
    inverse["item"] = item;
    inverse["position"] = *index;
    PreparedChange p = make(ChangeKind::list_pop, std::move(change), std::move(inverse));
    p.offset = *index;
    p.size_delta = -(json_size(item) + 1);
    return p;
  }

  const json::string* key(std::string& error) const {
    const json::value* k = field("key");
    if (!k) {
      error = missing("key");
      return nullptr;
    }
    if (!k->is_string()) {
      error = wrong("key", "a string");
      return nullptr;
    }
    return &k->get_string();
  }

  Result dict_add() {
    std::string error;
    const json::string* k = key(error);
    if (!k) return error;
    const json::value* value = field("value");
    if (!value) return missing("value");
    if (t_.value.get_object().contains(*k))
      return fmt::format("Adding {} to '{}' would create a duplicate.",
                         json_preview(json::value(*k)), t_.name);
    json::object change = head("add");
    change["key"] = *k;
    change["value"] = *value;
    change["id"] = id_;
    json::object inverse = head("pop");
    inverse["key"] = *k;
    PreparedChange p = make(ChangeKind::dict_add, std::move(change), std::move(inverse));
    p.size_delta = json_size(json::value(*k)) + json_size(*value) + 2;
    return p;
  }

  Result dict_pop() {
    std::string error;
    const json::string* k = key(error);
    if (!k) return error;
    const json::value* old = t_.value.get_object().if_contains(*k);
    if (!old) return fmt::format("{} is not in '{}'", json_preview(json::value(*k)), t_.name);
    json::object change = head("pop");
    change["key"] = *k;
    change["id"] = id_;
    json::object inverse = head("add");
    inverse["key"] = *k;
    inverse["value"] = *old;
    PreparedChange p = make(ChangeKind::dict_pop, std::move(change), std::move(inverse));
    p.size_delta = -(json_size(json::value(*k)) + json_size(*old) + 2);
    return p;
  }

  Result change_value() {
    std::string error;
    const json::string* k = key(error);
    if (!k) return error;
    const json::value* value = field("value");
    if (!value) return missing("value");
    const json::value* old = t_.value.get_object().if_contains(*k);
    if (!old) return fmt::format("{} is not in '{}'", json_preview(json::value(*k)), t_.name);
    json::object change = head("change_value");
    change["key"] = *k;
    change["value"] = *value;
    change["old_value"] = *old;
    change["id"] = checked_id(*old);
    json::object inverse = head("change_value");
    inverse["key"] = *k;
    inverse["value"] = *old;
    inverse["old_value"] = *value;
    PreparedChange p = make(ChangeKind::change_value, std::move(change), std::move(inverse));
    p.size_delta = json_size(*value) - json_size(*old);
    return p;
  }

  Result emit(ChangeKind kind, std::string_view inverse_type) {
    json::object args, forward_info;
    if (const json::value* a = field("args")) {
      if (!a->is_object()) return wrong("args", "an object");
      args = a->get_object();
    }
    if (const json::value* f = field("forward_info")) {
      if (!f->is_object()) return wrong("forward_info", "an object");
      forward_info = f->get_object();
    }
    json::object change = head(kind_);
    change["args"] = args;
    change["forward_info"] = forward_info;
    change["id"] = id_;
    json::object inverse = head(inverse_type);
    inverse["args"] = std::move(args);
    inverse["forward_info"] = std::move(forward_info);
    return make(kind, std::move(change), std::move(inverse));
  }

  const TopicState& t_;
  const json::object& in_;
  const IdSource& ids_;
  const ChangeLimits& limits_;
  std::string kind_;
  std::string id_;
};

}  // namespace

std::variant<PreparedChange, std::string> prepare_change(const TopicState& t,
                                                         const json::object& change,
                                                         const IdSource& ids,
                                                         const ChangeLimits& limits) {
  return Preparer(t, change, ids, limits).run();
}

void commit_change(TopicState& t, const PreparedChange& p, const ChangeLimits& limits) {
  const json::object& c = p.change;
  switch (p.kind) {
    case ChangeKind::set:
    case ChangeKind::add:
      t.value = p.result;
      break;
    case ChangeKind::text_insert:
      t.value.get_string().insert(p.offset, c.at("insertion").get_string());
      break;
    case ChangeKind::text_delete:
      t.value.get_string().erase(p.offset, c.at("deletion").get_string().size());
      break;
    case ChangeKind::append:
      t.value.get_array().push_back(c.at("item"));
      break;
    case ChangeKind::remove:
    case ChangeKind::list_pop: {
      auto& a = t.value.get_array();
      a.erase(a.begin() + static_cast<std::ptrdiff_t>(p.offset));
      break;
    }
    case ChangeKind::list_insert: {
      auto& a = t.value.get_array();
      a.insert(a.begin() + static_cast<std::ptrdiff_t>(p.offset), c.at("item"));
      break;
    }
    case ChangeKind::dict_add:
    case ChangeKind::change_value:
      t.value.get_object()[c.at("key").get_string()] = c.at("value");
      break;
    case ChangeKind::dict_pop:
      t.value.get_object().erase(c.at("key").get_string());
      break;
    case ChangeKind::emit:
    case ChangeKind::reversed_emit:
      break;
  }
  ++t.revision;
  auto bytes = static_cast<std::int64_t>(t.value_bytes) + p.size_delta;
  t.value_bytes = bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
  if (t.type == TopicType::string) {
    t.version = p.edit.result;
    t.remember(p.edit, limits.history_limit, limits.history_bytes);
  }
}

json::object snapshot_change(const TopicState& t, const IdSource& ids) {
  return json::object{
      {"topic_name", t.name}, {"topic_type", topic_type_name(t.type)},
      {"type", "set"},        {"value", t.value},
      {"old_value", nullptr}, {"id", t.type == TopicType::string ? t.version : ids()}};
}

}  // namespace parley::topics
