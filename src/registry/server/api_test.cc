#include "registry/server/api.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/strings.h"
#include "image/digest.h"
#include "registry/server/htpasswd.h"
#include "sys/fs.h"

namespace quai::registry::server {
namespace {

using image::Digest;

// A request body from a string; with `fail_after`, the peer "dies" after that many bytes.
class StringBody final : public BodyReader {
 public:
  explicit StringBody(std::string data, std::optional<size_t> fail_after = std::nullopt)
      : data_(std::move(data)), fail_after_(fail_after) {}
  Result<size_t> read_some(char* out, size_t size) override {
    was_read = true;
    if (fail_after_ && offset_ >= *fail_after_) return fail(Errc::Io, "connection reset");
    size_t n = std::min({size, data_.size() - offset_, fail_after_.value_or(SIZE_MAX) - offset_});
    std::copy_n(data_.data() + offset_, n, out);
    offset_ += n;
    return n;
  }
  bool was_read = false;

 private:
  std::string data_;
  size_t offset_ = 0;
  std::optional<size_t> fail_after_;
};

std::string header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers)
    if (key == name) return value;
  return "";
}

std::string error_code(const Response& response) {
  auto json = parse_json(response.body, "response");
  if (!json || !json->contains("errors")) return "";
  return (*json)["errors"][0]["code"].get<std::string>();
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/quai-registry-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    storage_.emplace(*Storage::open(dir_));
    api_ = std::make_unique<Api>(*storage_, options_);
  }
  void TearDown() override {
    api_.reset();
    (void)sys::remove_tree(dir_);
  }
  void reopen_with(ApiOptions options) {
    options_ = std::move(options);
    api_ = std::make_unique<Api>(*storage_, options_);
  }

  Response call(std::string method, std::string target, std::string body = "",
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    StringBody reader(body);
    return call_with(std::move(method), std::move(target), reader, body.size(), std::move(headers));
  }
  Response call_with(std::string method, std::string target, StringBody& reader,
                     std::optional<uint64_t> length,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request;
    request.method = std::move(method);
    size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) {
      for (const std::string& pair : split(target.substr(question + 1), '&'))
        request.query.emplace_back(pair.substr(0, pair.find('=')), pair.substr(pair.find('=') + 1));
    }
    request.headers = std::move(headers);
    request.content_length = length;
    request.body = &reader;
    return api_->handle(request);
  }
  std::string push_blob(const std::string& repo, const std::string& data) {
    Response response =
        call("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + Digest::of(data).str(), data);
    EXPECT_EQ(response.status, 201) << response.body;
    return Digest::of(data).str();
  }
  std::string image_manifest(const std::string& config, const std::string& layer,
                             std::string extra = "") {
    return fmt::format(
        R"({{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":2}},)"
        R"("layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":5}}]{}}})",
        config, layer, extra);
  }
  std::string blob_content(const Response& response) {
    std::string out(response.file_length, '\0');
    EXPECT_EQ(::pread(response.file.get(), out.data(), out.size(),
                      static_cast<off_t>(response.file_offset)),
              static_cast<ssize_t>(out.size()));
    return out;
  }
  size_t stored_blob_count() {
    auto names = sys::list_directory(dir_ + "/blobs/sha256");
    return names ? names->size() : 0;
  }

  std::string dir_;
  std::optional<Storage> storage_;
  ApiOptions options_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, BaseEndpointAnswersWithTheApiVersion) {
  Response response = call("GET", "/v2/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(header(response, "Docker-Distribution-API-Version"), "registry/2.0");
}

TEST_F(ApiTest, MonolithicPushThenPullAndRanges) {
  std::string digest = push_blob("team/app", "hello");
  Response got = call("GET", "/v2/team/app/blobs/" + digest);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(blob_content(got), "hello");
  EXPECT_EQ(header(got, "Docker-Content-Digest"), digest);
  Response range = call("GET", "/v2/team/app/blobs/" + digest, "", {{"range", "bytes=1-3"}});
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(blob_content(range), "ell");
  EXPECT_EQ(header(range, "Content-Range"), "bytes 1-3/5");
  EXPECT_EQ(call("GET", "/v2/team/app/blobs/" + digest, "", {{"range", "bytes=9-"}}).status, 416);
  Response head = call("HEAD", "/v2/team/app/blobs/" + digest);
  EXPECT_TRUE(head.head_only);
  EXPECT_EQ(head.file_length, 5u);
  EXPECT_EQ(call("GET", "/v2/other/blobs/" + digest).status, 404) << "blobs are per repository";
}

TEST_F(ApiTest, BlobWhoseBytesDoNotMatchItsDigestIsNotStored) {
  Response response =
      call("POST", "/v2/app/blobs/uploads/?digest=" + Digest::of("other").str(), "hello");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_code(response), "DIGEST_INVALID");
  EXPECT_EQ(stored_blob_count(), 0u);
  EXPECT_EQ(call("HEAD", "/v2/app/blobs/" + Digest::of("hello").str()).status, 404);
}

TEST_F(ApiTest, ChunkedUploadResumesWhereTheServerStands) {
  Response started = call("POST", "/v2/app/blobs/uploads/");
  ASSERT_EQ(started.status, 202);
  std::string location = header(started, "Location");
  Response first = call("PATCH", location, "hello ", {{"content-range", "0-5"}});
  EXPECT_EQ(first.status, 202);
  EXPECT_EQ(header(first, "Range"), "0-5");
  Response wrong = call("PATCH", location, "again", {{"content-range", "2-6"}});
  EXPECT_EQ(wrong.status, 416);
  EXPECT_EQ(header(wrong, "Range"), "0-5");
  Response status = call("GET", location);
  EXPECT_EQ(status.status, 204);
  EXPECT_EQ(header(status, "Range"), "0-5");
  std::string digest = Digest::of("hello world").str();
  Response done = call("PUT", location + "?digest=" + digest, "world");
  EXPECT_EQ(done.status, 201) << done.body;
  EXPECT_EQ(header(done, "Location"), "/v2/app/blobs/" + digest);
  EXPECT_EQ(call("GET", location).status, 404) << "the session is over";
}

TEST_F(ApiTest, ClientDyingMidUploadLeavesNoBlobAndTheSessionResumable) {
  std::string location = header(call("POST", "/v2/app/blobs/uploads/"), "Location");
  StringBody dying("0123456789", 4);
  EXPECT_EQ(call_with("PATCH", location, dying, 10).status, 400);
  EXPECT_EQ(stored_blob_count(), 0u);
  EXPECT_EQ(header(call("GET", location), "Range"), "0-3");
  Response done = call("PUT", location + "?digest=" + Digest::of("0123456789").str(), "456789",
                       {{"content-range", "4-9"}});
  EXPECT_EQ(done.status, 201) << done.body;
}

TEST_F(ApiTest, HugeUploadIsRefusedBeforeItsBodyIsRead) {
  ApiOptions options;
  options.quota_bytes = 2ull << 30;
  reopen_with(options);
  StringBody body("x");
  Response response = call_with("POST", "/v2/app/blobs/uploads/?digest=" + Digest::of("x").str(),
                                body, 10ull << 30);
  EXPECT_EQ(response.status, 413);
  EXPECT_FALSE(body.was_read);
  EXPECT_NE(response.body.find("10737418240 bytes"), std::string::npos) << response.body;
}

TEST_F(ApiTest, ManifestNamingMissingBlobsIsRefused) {
  std::string config = push_blob("app", "{}");
  Response response =
      call("PUT", "/v2/app/manifests/v1", image_manifest(config, Digest::of("absent").str()));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_code(response), "MANIFEST_BLOB_UNKNOWN");
  EXPECT_EQ(call("GET", "/v2/app/manifests/v1").status, 404);
}

TEST_F(ApiTest, ManifestsByTagAndDigestTagsAndDelete) {
  std::string manifest = image_manifest(push_blob("app", "{}"), push_blob("app", "layer"));
  std::string digest = Digest::of(manifest).str();
  Response put = call("PUT", "/v2/app/manifests/v1", manifest,
                      {{"content-type", "application/vnd.oci.image.manifest.v1+json"}});
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(header(put, "Docker-Content-Digest"), digest);
  EXPECT_EQ(call("PUT", "/v2/app/manifests/v2", manifest).status, 201);
  Response by_tag = call("GET", "/v2/app/manifests/v1");
  EXPECT_EQ(by_tag.body, manifest);
  EXPECT_EQ(header(by_tag, "Content-Type"), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(call("GET", "/v2/app/manifests/" + digest).body, manifest);
  EXPECT_EQ(call("GET", "/v2/app/tags/list").body, R"({"name":"app","tags":["v1","v2"]})");
  Response page = call("GET", "/v2/app/tags/list?n=1");
  EXPECT_EQ(page.body, R"({"name":"app","tags":["v1"]})");
  EXPECT_EQ(header(page, "Link"), "</v2/app/tags/list?n=1&last=v1>; rel=\"next\"");
  EXPECT_EQ(call("GET", "/v2/app/tags/list?n=1&last=v1").body, R"({"name":"app","tags":["v2"]})");
  EXPECT_EQ(call("DELETE", "/v2/app/manifests/v2").status, 202);
  EXPECT_EQ(call("DELETE", "/v2/app/manifests/" + digest).status, 202);
  EXPECT_EQ(call("GET", "/v2/app/manifests/v1").status, 404);
  EXPECT_EQ(call("GET", "/v2/app/tags/list").body, R"({"name":"app","tags":[]})");
  EXPECT_EQ(call("GET", "/v2/_catalog").body, R"({"repositories":["app"]})");
}

TEST_F(ApiTest, ManifestPutByDigestMustMatchItsContent) {
  std::string manifest = image_manifest(push_blob("app", "{}"), push_blob("app", "layer"));
  Response response = call("PUT", "/v2/app/manifests/" + Digest::of("x").str(), manifest);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_code(response), "DIGEST_INVALID");
  EXPECT_EQ(error_code(call("PUT", "/v2/app/manifests/v1", "{not json")), "MANIFEST_INVALID");
}

TEST_F(ApiTest, InvalidRepositoryNamesAreRefused) {
  for (const char* path : {"/v2/Upper/tags/list", "/v2/a/../b/tags/list", "/v2/a/_x/tags/list"}) {
    Response response = call("GET", path);
    EXPECT_EQ(response.status, 400) << path;
    EXPECT_EQ(error_code(response), "NAME_INVALID") << path;
  }
}

TEST_F(ApiTest, CrossRepositoryMountLinksOnlyWhatTheSourceHas) {
  std::string digest = push_blob("source", "shared");
  Response mounted = call("POST", "/v2/target/blobs/uploads/?mount=" + digest + "&from=source");
  EXPECT_EQ(mounted.status, 201);
  EXPECT_EQ(call("HEAD", "/v2/target/blobs/" + digest).status, 200);
  Response refused = call("POST", "/v2/third/blobs/uploads/?mount=" + digest + "&from=nowhere");
  EXPECT_EQ(refused.status, 202) << "falls back to an upload session";
}

TEST_F(ApiTest, ReferrersListManifestsWithASubject) {
  std::string manifest = image_manifest(push_blob("app", "{}"), push_blob("app", "layer"));
  ASSERT_EQ(call("PUT", "/v2/app/manifests/v1", manifest).status, 201);
  std::string subject = Digest::of(manifest).str();
  std::string signature = image_manifest(
      push_blob("app", "{}"), push_blob("app", "sig"),
      fmt::format(
          R"(,"artifactType":"application/x-sig","subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{}}})",
          subject, manifest.size()));
  Response put = call("PUT", "/v2/app/manifests/" + Digest::of(signature).str(), signature);
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(header(put, "OCI-Subject"), subject);
  auto listed = parse_json(call("GET", "/v2/app/referrers/" + subject).body, "referrers");
  ASSERT_TRUE(listed);
  ASSERT_EQ((*listed)["manifests"].size(), 1u);
  EXPECT_EQ((*listed)["manifests"][0]["artifactType"], "application/x-sig");
  Response filtered = call("GET", "/v2/app/referrers/" + subject + "?artifactType=other");
  EXPECT_EQ(header(filtered, "OCI-Filters-Applied"), "artifactType");
  EXPECT_EQ((*parse_json(filtered.body, "x"))["manifests"].size(), 0u);
}

TEST_F(ApiTest, AuthenticationIsRequiredWhenUsersAreConfigured) {
  // "user:secret" hashed by `htpasswd -nbB -C 4 user secret`.
  auto users = Htpasswd::parse(
      "user:$2y$04$USgMq4Ps2CywNucK0g7QUuNoa6YohNJgsIn0MaMfYmprn.rkWgjNa\n", "test");
  ASSERT_TRUE(users) << users.error().to_string();
  ApiOptions options;
  options.users = std::make_shared<Htpasswd>(std::move(*users));
  reopen_with(options);
  Response anonymous = call("POST", "/v2/app/blobs/uploads/");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(error_code(anonymous), "UNAUTHORIZED");
  EXPECT_EQ(header(anonymous, "WWW-Authenticate"), "Basic realm=\"quai-registry\"");
  EXPECT_EQ(call("GET", "/v2/", "", {{"authorization", "Basic dXNlcjp3cm9uZw=="}}).status, 401);
  EXPECT_EQ(call("GET", "/v2/", "", {{"authorization", "Basic dXNlcjpzZWNyZXQ="}}).status, 200);
}

}  // namespace
}  // namespace quai::registry::server
