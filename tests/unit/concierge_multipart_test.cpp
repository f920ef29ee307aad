// multipart/form-data parsing for the Concierge file store.
#include "net/multipart.hpp"

#include <gtest/gtest.h>

namespace parley::net {
namespace {

TEST(ConciergeMultipart, Boundary) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\""), "a b;c");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')));
  EXPECT_FALSE(multipart_boundary(""));
}

TEST(ConciergeMultipart, PartsAsCurlSendsThem) {
  std::string body =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "hello\r\nworld\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=\"second\"\r\n"
      "\r\n"
      "\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"f\"; filename=\"q\\\"uote.bin\"\r\n"
      "\r\n"
      "--not the boundary\r\n"
      "--XyZ--\r\n"
      "epilogue";
  std::vector<MultipartPart> parts;
  std::string error;
  ASSERT_TRUE(parse_multipart(body, "XyZ", parts, error)) << error;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts[0].has_disposition);
  EXPECT_EQ(parts[0].name, "file");
  EXPECT_EQ(parts[0].filename, "a.txt");
  EXPECT_EQ(parts[0].content_type, "text/plain");
  EXPECT_EQ(parts[0].body, "hello\r\nworld");
  EXPECT_EQ(parts[1].name, "second");
  EXPECT_FALSE(parts[1].filename);
  EXPECT_EQ(parts[1].body, "");
  EXPECT_EQ(parts[2].filename, "q\"uote.bin");
  EXPECT_EQ(parts[2].body, "--not the boundary");
}

TEST(ConciergeMultipart, PreambleExtendedFilenamesAndPartsWithoutHeaders) {
  std::string body =
      "preamble\r\n--b\r\n"
      "Content-Disposition: form-data; name=x; filename=plain.txt; "
      "filename*=UTF-8''%E5%90%8D.txt\r\n"
      "\r\n"
      "1\r\n--b  \r\n"
      "\r\n"
      "no headers\r\n--b--";
  std::vector<MultipartPart> parts;
  std::string error;
  ASSERT_TRUE(parse_multipart(body, "b", parts, error)) << error;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "x");
  EXPECT_EQ(parts[0].filename, "名.txt");
  EXPECT_FALSE(parts[1].has_disposition);
  EXPECT_EQ(parts[1].body, "no headers");
}

TEST(ConciergeMultipart, MalformedBodiesAreRefused) {
  std::vector<MultipartPart> parts;
  for (std::string_view body :
       {std::string_view("no boundary at all"), std::string_view("--b\r\nX: y\r\n\r\nbody"),
        std::string_view("--b\r\nContent-Disposition: form-data\r\nno blank line\r\n--b--"),
        std::string_view("--bjunk\r\n\r\nx\r\n--b--"), std::string_view("")}) {
    std::string error;
    EXPECT_FALSE(parse_multipart(body, "b", parts, error)) << body;
    EXPECT_FALSE(error.empty());
  }
  std::string error;
  EXPECT_TRUE(parse_multipart("--b--\r\n", "b", parts, error));  // no parts at all
  EXPECT_TRUE(parts.empty());
}

}  // namespace
}  // namespace parley::net
