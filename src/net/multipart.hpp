#pragma once
// multipart/form-data bodies (RFC 7578), parsed in place: no I/O, no copies of the content.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::net {

struct MultipartPart {
  bool has_disposition = false;         // a Content-Disposition header was present
  std::optional<std::string> name;      // its name parameter
  std::optional<std::string> filename;  // its filename (filename* preferred when both)
  std::string content_type;             // empty when absent
  std::string_view body;                // a view into the parsed body
};

// The boundary of a "multipart/<subtype>; boundary=..." Content-Type; nullopt when it is not
// multipart or has no usable boundary (1 to 70 characters).
std::optional<std::string> multipart_boundary(std::string_view content_type);

// Splits body into its parts. False, with error set, when the body is not a complete multipart
// body for this boundary (no first boundary, no closing boundary, a part without the blank line
// after its headers).
bool parse_multipart(std::string_view body, std::string_view boundary,
                     std::vector<MultipartPart>& parts, std::string& error);

}  // namespace parley::net
