#pragma once
// The tables behind the codec's two halves (codec_in.cpp, codec_out.cpp): one row per
// alternative of a payload variant, in the variant's order, holding its "type" tag and the
// reader of its fields. type_name() is the row at a payload's index; decoding finds the row by
// the tag.
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "dialects/concierge/codec_json.hpp"

namespace parley::dialects::concierge::detail {

template <class Variant>
struct Kind {
  std::string_view type;
  std::size_t index;  // of the alternative `read` produces, in Variant
  // Reads the alternative's fields into out; a failure is left in f.error.
  void (*read)(Fields& f, const ParsedObject& parsed, Variant& out);
};

// T is one of U...: lets alternatives with the same fields share one reader.
template <class T, class... U>
concept one_of = (std::is_same_v<T, U> || ...);

// The index of T among Variant's alternatives.
template <class Variant, class T, std::size_t I = 0>
constexpr std::size_t alternative_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Variant>, T>)
    return I;
  else
    return alternative_index<Variant, T, I + 1>();
}

// The rows of a table over Variant whose fields Reader reads: Rows<Variant, Reader>::of<T>(tag)
// is the row of alternative T. Reader::read(Fields&, const ParsedObject&, T&) reads T's fields;
// an alternative without fields needs none.
template <class Variant, class Reader>
struct Rows {
  template <class T>
  static constexpr Kind<Variant> of(std::string_view type) {
    return {type, alternative_index<Variant, T>(),
            [](Fields& f, const ParsedObject& parsed, Variant& out) {
              T body;
              if constexpr (!std::is_empty_v<T>) Reader::read(f, parsed, body);
              out = std::move(body);
            }};
  }
};

// True when the table has one row per alternative of Variant, row i for alternative i.
template <class Variant, std::size_t N>
constexpr bool covers_in_order(const Kind<Variant> (&table)[N]) {
  if (N != std::variant_size_v<Variant>) return false;
  for (std::size_t i = 0; i < N; ++i)
    if (table[i].index != i) return false;
  return true;
}

// The row tagged `type`; null when there is none.
template <class Variant, std::size_t N>
const Kind<Variant>* find_kind(const Kind<Variant> (&table)[N], std::string_view type) {
  for (const auto& row : table)
    if (row.type == type) return &row;
  return nullptr;
}

}  // namespace parley::dialects::concierge::detail
