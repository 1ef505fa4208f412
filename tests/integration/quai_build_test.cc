// `quai build` as a user runs it: the fixtures in tests/fixtures/build (every instruction,
// flag and form between them) give the config and the files their Dockerfiles say; the
// cache reruns only what changed; bad input fails with file:line and leaves nothing.

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "quai_env.h"

namespace quai::test {
namespace {

class Build : public QuaiTest {
 protected:
  // The fixture copied to a dir of the test, so that tests can change it.
  std::string fixture(const std::string& name) {
    std::string dir = path("ctx-" + name);
    auto copy = sh("cp -a '" + source_dir() + "/tests/fixtures/build/" + name + "' '" + dir + "'");
    EXPECT_EQ(copy.exit_code, 0) << copy.both();
    return dir;
  }
  std::string context_with(const std::string& dockerfile) {
    std::string dir = path("ctx-" + std::to_string(++contexts_));
    sh("mkdir -p '" + dir + "'");
    write(dir + "/Dockerfile", dockerfile);
    return dir;
  }
  static void write(const std::string& file, const std::string& text) {
    std::ofstream(file, std::ios::trunc) << text;
  }
  CommandResult build(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "build");
    return quai(args, input, 300);
  }
  Json inspect(const std::string& image) {
    auto r = quai({"image", "inspect", image});
    EXPECT_EQ(r.exit_code, 0) << r.both();
    auto parsed = Json::parse(r.out, nullptr, false);
    return parsed.is_array() && !parsed.empty() ? parsed[0] : Json::object();
  }
  std::string in_image(const std::string& image, const std::string& command) {
    auto r = quai({"run", "--rm", "--entrypoint", "/bin/sh", image, "-c", command});
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.both();
    return r.out;
  }
  static int count(const std::string& text, const std::string& part) {
    int n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
  }
  int contexts_ = 0;
};

TEST_F(Build, ConfigFollowsTheDockerfile) {
  auto r = build({"-t", "cfg", "--label", "from.cli=yes", fixture("config")});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  Json image = inspect("cfg");
  const Json& c = image["Config"];
  std::vector<std::string> env = c.value("Env", std::vector<std::string>{});
  for (const char* expected :
       {"APP_HOME=/srv/app", "GREETING=hello world", "VERSION_COPY=1.2", "FALLBACK=fallback",
        "ALT=set", "DASH=dash", "LITERAL=$NOT_EXPANDED", "LEGACY=legacy form value"}) {
    EXPECT_TRUE(std::ranges::count(env, std::string(expected)) == 1)
        << expected << " in " << c.dump();
  }
  EXPECT_EQ(c["Labels"], Json({{"org.example.name", "quai fixture"},
                               {"version", "1.2"},
                               {"multi.word", "a b c"},
                               {"from.cli", "yes"}}));
  EXPECT_EQ(c["WorkingDir"], "/srv/app/sub");
  EXPECT_EQ(c["User"], "1000:1000");
  EXPECT_EQ(
      c["ExposedPorts"],
      Json({{"80/tcp", Json::object()}, {"443/tcp", Json::object()}, {"53/udp", Json::object()}}));
  EXPECT_EQ(
      c["Volumes"],
      Json({{"/data", Json::object()}, {"/cache", Json::object()}, {"/logs", Json::object()}}));
  EXPECT_EQ(c["StopSignal"], "SIGINT");
  EXPECT_EQ(c["Healthcheck"], Json({{"Test", {"CMD", "wget", "-q", "-O-", "http://localhost/"}},
                                    {"Interval", 30000000000LL},
                                    {"Timeout", 5000000000LL},
                                    {"StartPeriod", 60000000000LL},
                                    {"Retries", 4}}));
  EXPECT_EQ(c["Shell"], Json({"/bin/sh", "-e", "-c"}));
  EXPECT_EQ(c["OnBuild"], Json({"RUN echo built from the config fixture"}));
  EXPECT_EQ(c["Entrypoint"], Json({"/bin/echo", "entry"}));
  EXPECT_EQ(c["Cmd"], Json({"/bin/sh", "-e", "-c", "echo from cmd $GREETING"}));
  EXPECT_EQ(image["Author"], "quai tests <tests@quai.invalid>");

  auto run = quai({"run", "--rm", "cfg"});
  EXPECT_EQ(run.out, "entry /bin/sh -e -c echo from cmd $GREETING\n") << run.both();
  EXPECT_EQ(quai({"run", "--rm", "--entrypoint", "pwd", "cfg"}).out, "/srv/app/sub\n");
  auto history = quai({"history", "--no-trunc", "cfg"});
  EXPECT_TRUE(contains(history.out, "ENV APP_HOME=/srv/app")) << history.out;
  EXPECT_TRUE(contains(history.out, "EXPOSE")) << history.out;
}

TEST_F(Build, CopyAndAddGiveTheFileTree) {
  auto r = build({"-t", "copy", fixture("copy")});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  auto tree = in_image("copy", "cd /dst && find . | sort");
  EXPECT_EQ(tree,
            ".\n./added.txt\n./dir\n./dir/file.txt\n./docs\n./docs/NOTES.md\n./docs/README.md\n"
            "./excluded\n./excluded/a.txt\n./file.txt\n./fromdir\n./fromdir-slash\n"
            "./fromdir-slash/a.txt\n./fromdir-slash/b.log\n./fromdir-slash/nested\n"
            "./fromdir-slash/nested/n.txt\n./fromdir/a.txt\n./fromdir/b.log\n./fromdir/nested\n"
            "./fromdir/nested/n.txt\n./heredoc.txt\n./json form.txt\n./keepdir\n"
            "./keepdir/keep.txt\n./linked.txt\n./owned.txt\n./raw.txt\n./relative\n"
            "./relative/here.txt\n./unpacked\n./unpacked/inner\n./unpacked/inner/in.txt\n");
  EXPECT_EQ(in_image("copy", "stat -c '%u:%g %a' /dst/owned.txt /dst/file.txt"),
            "1234:5678 640\n0:0 644\n");
  EXPECT_EQ(in_image("copy", "cat /dst/heredoc.txt /dst/raw.txt /dst/unpacked/inner/in.txt"),
            "heredoc line with \nraw $HOME\ninside\n");
  EXPECT_EQ(in_image("copy", "cat /dst/relative/here.txt '/dst/json form.txt'"),
            "file content\nspaced\n");
}

TEST_F(Build, RunFormsShellsMountsAndNetwork) {
  std::string context = fixture("run");
  auto r = build({"-t", "run", "--build-arg", "BUILD_VALUE=given", context});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(in_image("run", "cat /exec.txt /heredoc.txt /heredoc-cat.txt /after-shell.txt"),
            "exec form\nheredoc script\nsecond line\nfed to cat\nafter shell\n");
  EXPECT_EQ(in_image("run", "cat /shell-changed.txt /arg.txt /tmpfs.txt /bound.txt"),
            "shell-changed\ngiven\nx\nbound input\n");
  EXPECT_EQ(in_image("run", "cat /cache-count.txt /interfaces.txt /net-host.txt /net-default.txt"),
            "1\n1\nhost\ndefault\n")
      << "one cache use; only lo without a network";
  EXPECT_EQ(in_image("run", "ls /shell.txt /input.txt /cache /scratch 2>&1 | grep -c 'No such'"),
            "4\n")
      << "a deleted file is gone; mount points leave nothing";
  // The cache dir outlives the build: a build without the layer cache counts 2.
  ASSERT_EQ(build({"-t", "run2", "--no-cache", context}).exit_code, 0);
  EXPECT_EQ(in_image("run2", "cat /cache-count.txt /arg.txt"), "2\ndefault\n");
  // What a bind mount reads is part of the step's key, as what COPY reads.
  write(context + "/input.txt", "changed input\n");
  ASSERT_EQ(build({"-t", "run3", context}).exit_code, 0);
  EXPECT_EQ(in_image("run3", "cat /bound.txt"), "changed input\n");
}

TEST_F(Build, StagesBuildOnlyWhatTheTargetNeeds) {
  std::string context = fixture("multistage");
  auto r = build({"-t", "multi", context});
  ASSERT_EQ(r.exit_code, 0) << r.both() << "the unused stage (RUN exit 1) is not built";
  EXPECT_EQ(quai({"run", "--rm", "multi"}).out, "left\n");
  auto files = quai({"run", "--rm", "multi", "/bin/busybox", "ls", "/"});
  EXPECT_EQ(files.out, "base.txt\nbin\ndev\netc\nleft.txt\nproc\nright.txt\nsys\nzero.txt\n")
      << files.both();
  auto right = build({"-t", "right", "--target", "right", context});
  ASSERT_EQ(right.exit_code, 0) << right.both();
  EXPECT_EQ(in_image("right", "cat /right.txt; ls /left.txt 2>&1 | grep -c 'No such'"),
            "right\n1\n");
  auto missing = build({"--target", "nosuch", context});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.err, "target stage \"nosuch\" could not be found")) << missing.err;
}

TEST_F(Build, BacktickEscapeDirective) {
  auto r = build({"-t", "esc", fixture("escape")});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(in_image("esc", "cat /joined.txt /dst.txt; echo \"$WIN_PATH\""),
            "one two\nescaped\nC:\\Windows\n");
}

TEST_F(Build, OnbuildTriggersRunInTheChild) {
  ASSERT_EQ(build({"-t", "quai-onbuild-base", fixture("onbuild-base")}).exit_code, 0);
  auto r = build({"-t", "child", fixture("onbuild-child")});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(in_image("child", "cat /from-trigger.txt /trigger-ran.txt /child.txt"),
            "trigger\ntrigger ran\nchild\n");
  EXPECT_TRUE(inspect("child")["Config"].value("OnBuild", Json()).is_null())
      << "triggers are not inherited further";
}

TEST_F(Build, DockerfileOnStdinAndPrintAst) {
  auto r = quai({"build", "-t", "stdin", "-"}, "FROM busybox\nRUN echo piped > /p\n", 120);
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(in_image("stdin", "cat /p"), "piped\n");
  std::string context = context_with("FROM busybox AS b\nCOPY --from=x a b\n");
  auto ast = build({"--print-ast", context});
  ASSERT_EQ(ast.exit_code, 0) << ast.both();
  EXPECT_EQ(ast.out, "(from \"busybox\" \"AS\" \"b\")\n(copy [\"--from=x\"] \"a\" \"b\")\n");
  auto quiet = build({"-q", "--iidfile", path("iid"), context_with("FROM busybox\nENV A=1\n")});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.both();
  EXPECT_TRUE(quiet.out.starts_with("sha256:")) << quiet.out;
  EXPECT_EQ(quiet.out, read_text(path("iid")) + "\n");
}

// Cache: nothing changed runs nothing; a changed file reruns from its COPY; a changed
// build arg reruns from the first step that sees it.
// A static HTTP server on a free port of 127.0.0.1, stopped when the test ends.
class FileServer {
 public:
  FileServer(const std::string& dir, const std::string& port_file) {
    auto started = sh("cd '" + dir + "' && { python3 -c '" + kServer + "' >'" + port_file +
                      "' 2>/dev/null </dev/null & echo $!; }");
    pid_ = std::atoi(started.out.c_str());
    for (int i = 0; i < 100 && port_.empty(); ++i) {
      std::ifstream(port_file) >> port_;
      if (port_.empty()) ::usleep(50000);
    }
  }
  ~FileServer() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
  }
  std::string url() const { return "http://127.0.0.1:" + port_; }

 private:
  static constexpr const char* kServer =
      "import http.server; "
      "s = http.server.ThreadingHTTPServer((\"127.0.0.1\", 0), "
      "http.server.SimpleHTTPRequestHandler); "
      "print(s.server_address[1], flush=True); s.serve_forever()";
  int pid_ = 0;
  std::string port_;
};

TEST_F(Build, ContextFromATarOnStdinAndDockerfilesElsewhere) {
  std::string context = context_with("FROM busybox\nCOPY . /ctx/\n");
  write(context + "/Dockerfile.alt", "FROM busybox\nCOPY data.txt /alt.txt\n");
  write(context + "/data.txt", "from the tar\n");
  write(context + "/.dockerignore", "Dockerfile*\n.dockerignore\n");
  ASSERT_EQ(sh("tar -C '" + context + "' -czf '" + path("ctx.tgz") + "' .").exit_code, 0);
  std::ifstream tgz(path("ctx.tgz"), std::ios::binary);
  std::string archive((std::istreambuf_iterator<char>(tgz)), std::istreambuf_iterator<char>());

  auto from_tar = build({"-t", "tarctx", "-t", "tarctx:v2", "-f", "Dockerfile.alt", "-"}, archive);
  ASSERT_EQ(from_tar.exit_code, 0) << from_tar.both();
  EXPECT_EQ(in_image("tarctx:v2", "cat /alt.txt"), "from the tar\n");
  EXPECT_EQ(inspect("tarctx")["Id"], inspect("tarctx:v2")["Id"]) << "both tags, one image";

  auto plain = build({"-t", "ignored", context});
  ASSERT_EQ(plain.exit_code, 0) << plain.both();
  EXPECT_EQ(in_image("ignored", "ls -A /ctx"), "data.txt\n")
      << "the Dockerfile is read even though .dockerignore leaves it out of the context";

  sh("mkdir -p '" + path("elsewhere") + "'");
  write(path("elsewhere") + "/Build.file", "FROM busybox\nCOPY data.txt /outside.txt\n");
  auto outside = build({"-t", "outside", "-f", path("elsewhere") + "/Build.file", context});
  ASSERT_EQ(outside.exit_code, 0) << outside.both();
  EXPECT_EQ(in_image("outside", "cat /outside.txt"), "from the tar\n");
}

TEST_F(Build, AddFetchesUrlsWithoutUnpackingThem) {
  std::string served = path("served");
  ASSERT_EQ(
      sh("mkdir -p '" + served + "' && cd '" + served + "' && echo payload > payload.txt" +
         " && touch -d '2020-01-02 03:04:05 UTC' payload.txt && tar -cf archive.tar payload.txt")
          .exit_code,
      0);
  FileServer server(served, path("port"));
  std::string context = fixture("add-url");
  auto r = build({"-t", "url", "--build-arg", "BASE_URL=" + server.url(), context});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(in_image("url",
                     "cat /downloads/payload.txt; ls /downloads; "
                     "stat -c '%a %u:%g %Y' /downloads/payload.txt /renamed.txt"),
            "payload\narchive.tar\npayload.txt\n600 0:0 1577934245\n644 1:2 1577934245\n")
      << "mode 600, the server's time; a fetched tar stays a file";

  auto again =
      build({"--progress=plain", "-t", "url", "--build-arg", "BASE_URL=" + server.url(), context});
  EXPECT_EQ(count(again.err, " CACHED"), 3) << again.err;
  sh("echo changed > '" + served + "/payload.txt'");
  auto changed =
      build({"--progress=plain", "-t", "url", "--build-arg", "BASE_URL=" + server.url(), context});
  EXPECT_EQ(count(changed.err, " CACHED"), 0) << "new content, new layers: " << changed.err;

  auto missing = build({"-t", "bad", "--build-arg", "U=" + server.url(), "-"},
                       "FROM busybox\nARG U\nADD $U/nothing /\n");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(
      contains(missing.err, "Dockerfile:3: ADD: GET " + server.url() + "/nothing: HTTP 404"))
      << missing.err;
}

TEST_F(Build, SecretsAreMountedForTheStepOnly) {
  write(path("token"), "s3cr3t");
  auto r = build({"-t", "sec", "--secret", "id=token,src=" + path("token"), fixture("secret")});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(
      in_image("sec", "cat /seen /modes; test ! -e /run/secrets && test ! -e /tok && echo gone"),
      "s3cr3t400\n440 1\ngone\n");
  EXPECT_FALSE(contains(quai({"history", "--no-trunc", "sec"}).out, "s3cr3t"));

  auto required = build({"-t", "bad", "-"},
                        "FROM busybox\nRUN --mount=type=secret,id=key,required=true true\n");
  EXPECT_EQ(required.exit_code, 1);
  EXPECT_TRUE(contains(required.err, "Dockerfile:2: secret \"key\" not provided")) << required.err;
}

TEST_F(Build, CacheRerunsOnlyFromTheFirstChangedStep) {
  std::string context = context_with(
      "FROM busybox\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN echo two > /two\n"
      "COPY b.txt /b.txt\nARG V=1\nRUN echo $V > /v\n");
  write(context + "/a.txt", "a\n");
  write(context + "/b.txt", "b\n");
  auto cold = build({"--progress=plain", "-t", "c", context});
  ASSERT_EQ(cold.exit_code, 0) << cold.both();
  EXPECT_EQ(count(cold.err, " CACHED"), 0) << cold.err;
  std::string id = inspect("c")["Id"];

  auto again = build({"--progress=plain", "-t", "c", context});
  ASSERT_EQ(again.exit_code, 0) << again.both();
  EXPECT_EQ(count(again.err, " CACHED"), 5) << again.err;
  EXPECT_EQ(inspect("c")["Id"], id) << "the same image";

  write(context + "/b.txt", "b changed\n");
  auto changed = build({"--progress=plain", "-t", "c", context});
  EXPECT_EQ(count(changed.err, " CACHED"), 3) << changed.err;
  EXPECT_EQ(in_image("c", "cat /b.txt"), "b changed\n");

  auto arg = build({"--progress=plain", "-t", "c", "--build-arg", "V=2", context});
  EXPECT_EQ(count(arg.err, " CACHED"), 4) << arg.err;
  EXPECT_EQ(in_image("c", "cat /v"), "2\n");
}

struct BadInput {
  const char* name;
  const char* dockerfile;
  const char* error;
};

class BuildRefuses : public Build, public ::testing::WithParamInterface<BadInput> {};

TEST_P(BuildRefuses, WithFileAndLineAndLeavesNothing) {
  std::string context = context_with(GetParam().dockerfile);
  write(context + "/ok.txt", "ok\n");
  sh("ln -s /etc/passwd '" + context + "/outside' && mkdir -p '" + context + "/sub'");
  auto before = image_ids();
  auto r = build({"-t", "bad", context});
  EXPECT_EQ(r.exit_code, 1) << r.both();
  EXPECT_TRUE(contains(r.err, GetParam().error)) << r.err;
  EXPECT_EQ(image_ids(), before) << "no image added or tagged";
  EXPECT_EQ(quai({"images", "-q", "bad"}).out, "");
  expect_store_clean();
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, BuildRefuses,
    ::testing::Values(
        BadInput{"UnknownInstruction", "FROM busybox\nFOO bar\n",
                 "Dockerfile:2: unknown instruction: FOO"},
        BadInput{"BrokenJson", "FROM busybox\nCMD [\"echo\", \n", "Dockerfile:2:"},
        BadInput{"UnterminatedHeredoc", "FROM busybox\nRUN <<EOF\necho hi\n",
                 "Dockerfile:2: unterminated heredoc"},
        BadInput{"CopyFromParent", "FROM busybox\nCOPY ../x /x\n",
                 "Dockerfile:2: forbidden path outside the build context: ../x"},
        BadInput{"SymlinkOutOfContext", "FROM busybox\nCOPY outside /x\n",
                 "Dockerfile:2: \"outside\": a symlink leads outside the build context"},
        BadInput{"MissingStage", "FROM busybox\nCOPY --from=nosuch /a /b\n", "nosuch"},
        BadInput{"MissingBase", "FROM nosuchbase\nRUN true\n",
                 "Dockerfile:1: FROM nosuchbase: No such image"},
        BadInput{"ArgCycle", "ARG A=$B\nARG B=${A}x\nFROM busybox\n", "ARG cycle: A -> B -> A"},
        BadInput{"FailingRun", "FROM busybox\nRUN exit 3\n",
                 "Dockerfile:2: process \"/bin/sh -c exit 3\" did not complete successfully: "
                 "exit code: 3"},
        BadInput{"MissingSource", "FROM busybox\nCOPY nosuch.txt /\n",
                 "Dockerfile:2: \"nosuch.txt\": not found"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace quai::test
