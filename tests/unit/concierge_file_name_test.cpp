// The file store's sanitizer: no name a client writes can leave its folder.
#include "dialects/concierge/file_name.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace parley::dialects::concierge {
namespace {

std::string clean(std::string_view name) { return sanitize_file_name(name).value_or("<none>"); }

TEST(ConciergeFileName, OrdinaryNamesAreKept) {
  EXPECT_EQ(clean("report.pdf"), "report.pdf");
  EXPECT_EQ(clean("model v2 (final).glb"), "model v2 (final).glb");
  EXPECT_EQ(clean(".hidden"), ".hidden");
  EXPECT_EQ(clean("día-ünïcode-名前.txt"), "día-ünïcode-名前.txt");
  EXPECT_EQ(clean("a..b"), "a..b");
}

TEST(ConciergeFileName, PathSeparatorsAndReservedCharactersAreRemoved) {
  EXPECT_EQ(clean("../../etc/passwd"), "....etcpasswd");
  EXPECT_EQ(clean("/etc/passwd"), "etcpasswd");
  EXPECT_EQ(clean("..\\..\\boot.ini"), "....boot.ini");
  EXPECT_EQ(clean("C:\\Windows"), "CWindows");
  EXPECT_EQ(clean("a<b>c:d\"e|f?g*h"), "abcdefgh");
  EXPECT_EQ(clean("sub/dir/file.txt"), "subdirfile.txt");
}

TEST(ConciergeFileName, ControlCharactersAndNulAreRemoved) {
  EXPECT_EQ(clean(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(clean("line\nbreak\ttab\x7f"), "linebreaktab");
  EXPECT_EQ(clean("c1\xc2\x85x"), "c1x");  // U+0085, a C1 control
}

TEST(ConciergeFileName, NothingUsableIsRefused) {
  for (std::string_view bad : {"", ".", "..", "...", "/", "//", "./", "../", "  ", ". .", "\x01",
                               "a\xff", "\xc0\xaf", "\xed\xa0\x80"})
    EXPECT_FALSE(sanitize_file_name(bad)) << '"' << bad << '"';
}

TEST(ConciergeFileName, TrailingDotsAndSpacesAreTrimmed) {
  EXPECT_EQ(clean("name. . "), "name");
  EXPECT_EQ(clean("..a"), "..a");
}

TEST(ConciergeFileName, LongNamesAreCutOnACharacterBoundary) {
  std::string ascii(300, 'a');
  EXPECT_EQ(clean(ascii).size(), 255u);
  std::string wide;
  for (int i = 0; i < 100; ++i) wide += "名";  // 3 bytes each
  std::string cut = clean(wide);
  EXPECT_EQ(cut.size(), 255u);  // 85 characters
  EXPECT_TRUE(sanitize_file_name(cut));
}

TEST(ConciergeFileName, EveryResultStaysInsideItsFolder) {
  namespace fs = std::filesystem;
  const fs::path folder = "/data/concierge-files/0b1c2d3e-0000-4000-8000-000000000000";
  std::vector<std::string> hostile = {"..",
                                      "../x",
                                      "..%2fx",
                                      "/abs",
                                      "a/../../b",
                                      "\\..\\x",
                                      std::string("..\0/x", 5),
                                      "....//....//x",
                                      ". ./..",
                                      std::string(1, '\0')};
  for (int c = 1; c < 128; ++c) hostile.push_back(std::string(1, static_cast<char>(c)) + "..");
  for (const auto& h : hostile) {
    auto name = sanitize_file_name(h);
    if (!name) continue;
    fs::path joined = (folder / *name).lexically_normal();
    EXPECT_EQ(joined.parent_path(), folder) << h;
    EXPECT_EQ(name->find('/'), std::string::npos);
    EXPECT_EQ(name->find('\0'), std::string::npos);
    EXPECT_NE(*name, "..");
    EXPECT_NE(*name, ".");
  }
}

}  // namespace
}  // namespace parley::dialects::concierge
