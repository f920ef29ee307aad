// The Concierge file store over HTTP. Status codes are the original's (FsError): 428 no
// x-fs-key, 417 a key that is not a uuid, 401 a key no connected client holds, 403 a key of
// another client than the path's, 412 several files on the single-file route, 428 a part without
// Content-Disposition (or, on the several-files route, without a filename); Parley adds 413 (a
// file over max_file_bytes), 400 (not a multipart body; a file name with nothing usable left),
// 404 (no such file or client).
//
// The checks run on the I/O thread (the registry is in memory); an upload's key is checked on
// its head, before the body is read, and again with the body (the client may have left
// meanwhile). Reading and writing files run through run_blocking, and the answer comes back
// through HttpRespond.
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <variant>

#include "dialects/concierge/codec.hpp"
#include "dialects/concierge/file_name.hpp"
#include "net/concierge_routes.hpp"
#include "net/multipart.hpp"

namespace parley::net {

namespace concierge = dialects::concierge;

namespace {

constexpr std::size_t kMultipartSlack = 64 * 1024;  // boundaries and part headers

HttpResponse cors(HttpResponse res) {
  res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return res;
}

HttpResponse status(unsigned code, std::string text) {
  return cors(HttpResponse::text(code, text.empty() ? "" : text + "\n"));
}

// The uuid and name of the client holding the request's x-fs-key, or the error answer.
struct Key {
  std::string uuid;
  std::string name;
};
std::variant<Key, HttpResponse> authorize(const HttpRequest& req, const ConciergeState& state) {
  const std::string* value = nullptr;
  for (const auto& [name, v] : req.headers)
    if (name == "x-fs-key") value = &v;
  if (!value) return status(428, "Missing x-fs-key header");
  auto uuid = concierge::normalize_uuid(*value);
  if (!uuid) return status(417, "Encoding error");
  auto name = state.registry.name_of(*uuid);
  if (!name) return status(401, "Bad authorization");
  return Key{std::move(*uuid), std::move(*name)};
}

// The key of the client named in the path (uploads and deletes), or the error answer.
std::variant<Key, HttpResponse> authorize_owner(const HttpRequest& req,
                                                const ConciergeState& state) {
  auto key = authorize(req, state);
  if (auto* k = std::get_if<Key>(&key); k && k->name != req.params.at("client"))
    return status(403, "Insufficient permission");
  return key;
}

// The parts of a multipart body, or the error answer.
std::variant<std::vector<MultipartPart>, HttpResponse> parts_of(const HttpRequest& req) {
  auto boundary = multipart_boundary(req.header("content-type"));
  if (!boundary) return status(400, "Expected a multipart/form-data body");
  std::vector<MultipartPart> parts;
  std::string error;
  if (!parse_multipart(req.body, *boundary, parts, error)) return status(400, error);
  return parts;
}

std::size_t size_of(const ConciergeFiles::Upload& u) {
  std::size_t n = 0;
  for (auto p : u.pieces) n += p.size();
  return n;
}

// Writes the uploads of owner off the I/O thread, then answers 201. When the owner left while
// the files were written, they go too (its leave may have cleared the folder before).
void store(std::shared_ptr<ConciergeState> state, const ConciergeOptions& options,
           std::shared_ptr<HttpRequest> req, std::vector<ConciergeFiles::Upload> uploads, Key key,
           HttpRespond respond) {
  options.run_blocking([state, req, uploads = std::move(uploads), key = std::move(key),
                        respond = std::move(respond)] {
    auto ec = state->files.store(key.uuid, uploads);
    if (!state->registry.name_of(key.uuid)) state->files.remove_owner(key.uuid);
    if (ec) {
      spdlog::error("concierge: storing files of {} (peer {}): {}", key.name, req->peer,
                    ec.message());
      return respond(status(500, "Unknown file system error"));
    }
    spdlog::info("concierge: {} uploaded {} file(s) (peer {})", key.name, uploads.size(),
                 req->peer);
    respond(status(201, ""));
  });
}

}  // namespace

void add_concierge_file_routes(Router& router, std::shared_ptr<ConciergeState> state,
                               std::shared_ptr<const ConciergeOptions> options) {
  const std::size_t max_file = options->max_file_bytes;
  const std::size_t max_body = max_file + kMultipartSlack;
  auto too_large = [max_file] {
    return status(413, "File over " + std::to_string(max_file) + " bytes");
  };
  // Uploads: the key is checked on the request's head, so an upload nobody may make is refused
  // before its body (up to max_body bytes) is read.
  RouteOptions upload_route;
  upload_route.max_body_bytes = max_body;
  upload_route.headers = {{"Access-Control-Allow-Origin", "*"}};
  upload_route.check_head = [state](const HttpRequest& req) -> std::optional<HttpResponse> {
    auto key = authorize_owner(req, *state);
    if (auto* res = std::get_if<HttpResponse>(&key)) return std::move(*res);
    return std::nullopt;
  };

  // One file: the path names it; every part must carry the same filename.
  router.add_async(
      "POST", "/fs/:client/:file",
      [state, options, too_large](HttpRequest r, HttpRespond respond) {
        auto req = std::make_shared<HttpRequest>(std::move(r));
        auto key = authorize_owner(*req, *state);
        if (auto* res = std::get_if<HttpResponse>(&key)) return respond(std::move(*res));
        auto name = concierge::sanitize_file_name(req->params.at("file"));
        if (!name) return respond(status(400, "Bad file name"));
        auto parts = parts_of(*req);
        if (auto* res = std::get_if<HttpResponse>(&parts)) return respond(std::move(*res));
        ConciergeFiles::Upload upload{*name, {}};
        const auto& list = std::get<std::vector<MultipartPart>>(parts);
        for (const auto& part : list) {
          if (!part.has_disposition) return respond(status(428, "Content disposition missing"));
          if (part.filename != list.front().filename)
            return respond(
                status(412, "Attempted to upload multi-file to single-file multipart route"));
          upload.pieces.push_back(part.body);
        }
        if (size_of(upload) > options->max_file_bytes) return respond(too_large());
        store(state, *options, req, {std::move(upload)}, std::move(std::get<Key>(key)),
              std::move(respond));
      },
      upload_route);

  // Several files, each named by its part's filename; parts of the same name are appended.
  router.add_async(
      "POST", "/fs/:client",
      [state, options, too_large](HttpRequest r, HttpRespond respond) {
        auto req = std::make_shared<HttpRequest>(std::move(r));
        auto key = authorize_owner(*req, *state);
        if (auto* res = std::get_if<HttpResponse>(&key)) return respond(std::move(*res));
        auto parts = parts_of(*req);
        if (auto* res = std::get_if<HttpResponse>(&parts)) return respond(std::move(*res));
        std::vector<ConciergeFiles::Upload> uploads;
        std::map<std::string, std::size_t> index;  // file name -> uploads[i]
        for (const auto& part : std::get<std::vector<MultipartPart>>(parts)) {
          if (!part.has_disposition) return respond(status(428, "Content disposition missing"));
          if (!part.filename)
            return respond(status(428, "Content disposition exist but file name field does not"));
          auto name = concierge::sanitize_file_name(*part.filename);
          if (!name) return respond(status(400, "Bad file name"));
          auto [it, added] = index.emplace(*name, uploads.size());
          if (added) uploads.push_back({*name, {}});
          uploads[it->second].pieces.push_back(part.body);
          if (size_of(uploads[it->second]) > options->max_file_bytes) return respond(too_large());
        }
        store(state, *options, req, std::move(uploads), std::move(std::get<Key>(key)),
              std::move(respond));
      },
      upload_route);

  // Any connected client may download any connected client's files.
  router.add_async(
      "GET", "/fs/:client/:file", [state, options](HttpRequest r, HttpRespond respond) {
        auto key = authorize(r, *state);
        if (auto* res = std::get_if<HttpResponse>(&key)) return respond(std::move(*res));
        auto name = concierge::sanitize_file_name(r.params.at("file"));
        if (!name) return respond(status(400, "Bad file name"));
        auto owner = state->registry.uuid_of(r.params.at("client"));
        if (!owner) return respond(status(404, "Not found"));
        options->run_blocking([state, owner = *owner, name = *name, respond = std::move(respond)] {
          HttpResponse res;
          if (auto ec = state->files.read(owner, name, res.body)) {
            if (ec != std::errc::no_such_file_or_directory)
              spdlog::error("concierge: reading {}: {}", name, ec.message());
            return respond(status(404, "Not found"));
          }
          res.content_type = "application/octet-stream";
          res.headers.emplace_back("Content-Disposition", "attachment");
          res.headers.emplace_back("X-Content-Type-Options", "nosniff");
          respond(cors(std::move(res)));
        });
      });

  router.add_async(
      "DELETE", "/fs/:client/:file", [state, options](HttpRequest r, HttpRespond respond) {
        auto key = authorize_owner(r, *state);
        if (auto* res = std::get_if<HttpResponse>(&key)) return respond(std::move(*res));
        auto name = concierge::sanitize_file_name(r.params.at("file"));
        if (!name) return respond(status(400, "Bad file name"));
        options->run_blocking(
            [state, uuid = std::get<Key>(key).uuid, name = *name, respond = std::move(respond)] {
              auto ec = state->files.remove(uuid, name);
              if (ec == std::errc::no_such_file_or_directory)
                return respond(status(404, "Not found"));
              if (ec) {
                spdlog::error("concierge: deleting {}: {}", name, ec.message());
                return respond(status(500, "Unknown file system error"));
              }
              respond(status(200, ""));
            });
      });

  // CORS preflights (the original allowed GET, POST and DELETE from any origin).
  auto preflight = [](const HttpRequest&) {
    HttpResponse res = status(204, "");
    res.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, DELETE");
    res.headers.emplace_back("Access-Control-Allow-Headers", "x-fs-key, content-type");
    return res;
  };
  router.add("OPTIONS", "/fs/:client/:file", preflight);
  router.add("OPTIONS", "/fs/:client", preflight);
}

}  // namespace parley::net
