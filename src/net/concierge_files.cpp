#include "net/concierge_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/uuid.hpp"

namespace parley::net {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTempDir = ".tmp";  // never a uuid: no client folder collides

std::error_code last_error() { return {errno, std::generic_category()}; }

std::error_code write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

std::error_code ConciergeFiles::reset() {
  std::error_code ec;
  fs::remove_all(root_, ec);
  if (ec) return ec;
  fs::create_directories(root_ / kTempDir, ec);
  return ec;
}

std::error_code ConciergeFiles::store(const std::string& owner,
                                      const std::vector<Upload>& uploads) {
  std::error_code ec;
  fs::path dir = root_ / owner;
  fs::create_directories(dir, ec);
  if (ec) return ec;
  fs::create_directories(root_ / kTempDir, ec);
  if (ec) return ec;
  for (const auto& upload : uploads) {
    fs::path temp = root_ / kTempDir / core::make_uuid();
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return last_error();
    for (auto piece : upload.pieces) {
      if ((ec = write_all(fd, piece))) break;
    }
    if (::close(fd) != 0 && !ec) ec = last_error();
    if (!ec) fs::rename(temp, dir / upload.name, ec);
    if (ec) {
      std::error_code ignored;
      fs::remove(temp, ignored);
      return ec;
    }
  }
  return {};
}

std::error_code ConciergeFiles::read(const std::string& owner, const std::string& name,
                                     std::string& out) const {
  fs::path path = root_ / owner / name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return last_error();
  std::error_code ec;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ec = last_error();
  } else if (!S_ISREG(st.st_mode)) {
    ec = std::make_error_code(std::errc::no_such_file_or_directory);
  } else {
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::read(fd, out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ec = last_error();
        break;
      }
      if (n == 0) break;  // shrank meanwhile
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
  }
  ::close(fd);
  return ec;
}

std::error_code ConciergeFiles::remove(const std::string& owner, const std::string& name) {
  std::error_code ec;
  fs::path path = root_ / owner / name;
  if (!fs::is_regular_file(fs::symlink_status(path, ec)))
    return std::make_error_code(std::errc::no_such_file_or_directory);
  fs::remove(path, ec);
  return ec;
}

std::error_code ConciergeFiles::remove_owner(const std::string& owner) {
  std::error_code ec;
  fs::remove_all(root_ / owner, ec);
  return ec;
}

}  // namespace parley::net
