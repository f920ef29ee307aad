#pragma once
// File names of the Concierge file store (/fs/{client}/{file}): what a client writes becomes one
// path component inside the client's own folder, whatever it wrote.
#include <optional>
#include <string>
#include <string_view>

namespace parley::dialects::concierge {

// The name a file is stored under, from the name a client gave (a URL segment or a multipart
// filename), as the original's sanitize_filename did: the characters / \ ? < > : * | " and
// control characters (C0, DEL, C1) are removed, trailing dots and spaces are trimmed, and the
// result is cut to 255 bytes on a character boundary. nullopt when the name is not valid UTF-8
// or nothing usable is left (empty, or only dots: "." and ".." never name a file).
// The result never contains '/' or NUL, so joined to a folder it stays inside it.
std::optional<std::string> sanitize_file_name(std::string_view name);

}  // namespace parley::dialects::concierge
