#pragma once
// Rebasing of a string topic's insert or delete made against an older version onto the current
// one, as ChatRoom's server does (Topicsync change.py, string_diff.py): every edit applied since
// that version shifts the position (only edits strictly before it move an insert; an insert at
// a delete's position moves the delete); a delete overlapping an applied delete loses the
// overlap; an insert inside a range deleted since becomes empty; an insert inside a pending
// delete's range is deleted with it; a set since resets the position to 0 (and a delete to
// nothing).
#include <optional>
#include <string>
#include <string_view>

#include "topics/topic_state.hpp"

namespace parley::topics {

// Moves edit (kind insert or erase; position and text) from version base of t to t.version.
// Returns the reason when base is not in t's history ("Invalid base topic version: <base>").
std::optional<std::string> rebase_edit(const TopicState& t, std::string_view base, TextEdit& edit);

}  // namespace parley::topics
