#include "topics/topic_rebase.hpp"

#include <algorithm>

#include "topics/topic_text.hpp"

namespace parley::topics {

namespace {

// An insert moved by one applied edit.
void adjust_insert(TextEdit& mine, const TextEdit& applied) {
  switch (applied.kind) {
    case TextEdit::Kind::set:
      mine.position = 0;  // the whole text was replaced: start over at the beginning
      return;
    case TextEdit::Kind::insert:
      if (applied.position < mine.position) mine.position += utf8_length(applied.text);
      return;
    case TextEdit::Kind::erase: {
      if (applied.position >= mine.position) return;
      std::size_t len = utf8_length(applied.text);
      if (applied.position + len <= mine.position) {
        mine.position -= len;
      } else {  // inside the deleted range: it goes with it
        mine.position = applied.position;
        mine.text.clear();
      }
      return;
    }
  }
}

// A delete moved by one applied edit.
void adjust_delete(TextEdit& mine, const TextEdit& applied) {
  switch (applied.kind) {
    case TextEdit::Kind::set:
      mine.position = 0;
      mine.text.clear();
      return;
    case TextEdit::Kind::insert: {
      std::size_t len = utf8_length(mine.text);
      if (applied.position <= mine.position) {
        mine.position += utf8_length(applied.text);
      } else if (applied.position < mine.position + len) {  // inserted inside: delete it too
        std::size_t at = applied.position - mine.position;
        mine.text = utf8_substr(mine.text, 0, at) + applied.text + utf8_substr(mine.text, at);
      }
      return;
    }
    case TextEdit::Kind::erase: {
      std::size_t a_start = applied.position, a_len = utf8_length(applied.text);
      std::size_t m_start = mine.position, m_len = utf8_length(mine.text);
      bool overlap = a_start <= m_start ? a_start + a_len > m_start : m_start + m_len > a_start;
      if (!overlap) {
        if (a_start < m_start) mine.position -= a_len;
        return;
      }
      std::size_t o_start = std::max(a_start, m_start);
      std::size_t o_end = std::min(a_start + a_len, m_start + m_len);
      std::size_t rel = o_start - m_start;
      mine.text = utf8_substr(mine.text, 0, rel) + utf8_substr(mine.text, rel + (o_end - o_start));
      mine.position = std::min(a_start, m_start);
      return;
    }
  }
}

}  // namespace

std::optional<std::string> rebase_edit(const TopicState& t, std::string_view base, TextEdit& edit) {
  if (base == t.version) return std::nullopt;
  std::size_t from = t.history.size();
  for (std::size_t i = t.history.size(); i-- > 0;) {  // newest first: versions may repeat
    if (t.history[i].result == base) {
      from = i + 1;
      break;
    }
  }
  if (from == t.history.size()) {
    // The version before the oldest edit remembered (the initial one while nothing was dropped).
    if (!t.history.empty() && t.history.front().base == base)
      from = 0;
    else
      return "Invalid base topic version: " + std::string(base);
  }
  for (std::size_t i = from; i < t.history.size(); ++i) {
    if (edit.kind == TextEdit::Kind::insert)
      adjust_insert(edit, t.history[i]);
    else
      adjust_delete(edit, t.history[i]);
  }
  return std::nullopt;
}

}  // namespace parley::topics
