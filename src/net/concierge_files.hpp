#pragma once
// The Concierge file store on disk: <data dir>/concierge-files/<client uuid>/<file name>.
// Folders are named by uuid, not by client name, so a name reused by a new client right after
// the old one left never sees (or loses) the old one's files.
//
// Every method blocks on the disk: call them through run_blocking, never on an I/O thread.
// File names must come from sanitize_file_name and uuids from normalize_uuid (the callers',
// i.e. the routes', job): nothing here can then leave the root. No exceptions: errors are
// std::error_code values.
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace parley::net {

class ConciergeFiles {
 public:
  explicit ConciergeFiles(std::filesystem::path root) : root_(std::move(root)) {}

  // One file to write: its pieces, concatenated in order.
  struct Upload {
    std::string name;
    std::vector<std::string_view> pieces;
  };

  // Empties the root (start-up: the files of an earlier run belong to no connected client).
  std::error_code reset();
  // Writes each upload into owner's folder, replacing a file of the same name. Each file is
  // written to a temporary file first and renamed, so a reader never sees half of it.
  std::error_code store(const std::string& owner, const std::vector<Upload>& uploads);
  // The file's content; errc::no_such_file_or_directory when there is none.
  std::error_code read(const std::string& owner, const std::string& name, std::string& out) const;
  // Deletes one file; errc::no_such_file_or_directory when there is none.
  std::error_code remove(const std::string& owner, const std::string& name);
  // Deletes the owner's folder and everything in it.
  std::error_code remove_owner(const std::string& owner);

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace parley::net
