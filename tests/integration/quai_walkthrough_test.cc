// The Docker course walkthrough, command for command, against quai: an interactive
// container through a terminal, a detached one watched with logs, stats and top, exec,
// attach, the container and image lifecycles, volumes, bind and tmpfs mounts, read-only
// roots, and Docker's exit codes.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "quai_env.h"

namespace quai::test {
namespace {

using Walkthrough = QuaiTest;

TEST_F(Walkthrough, InteractiveContainerThroughATerminal) {
  auto r = quai_in_terminal({"run", "--name", "test", "-it", "busybox", "sh"},
                            "tty\necho answer=$((6*7))\nexit 5\n");
  EXPECT_EQ(r.exit_code, 5) << r.both();
  EXPECT_TRUE(contains(r.out, "/dev/pts/0")) << r.out;
  EXPECT_TRUE(contains(r.out, "answer=42")) << r.out;
  EXPECT_EQ(quai({"ps", "-a", "--format", "{{.Names}} {{.Status}}"}).out.substr(0, 15),
            "test Exited (5)");
}

TEST_F(Walkthrough, DetachedContainerWithLogsStatsAndTop) {
  ASSERT_EQ(quai({"run", "-d", "--name", "web", "busybox", "sh", "-c",
                  "echo serving; while true; do sleep 1; done"})
                .exit_code,
            0);
  EXPECT_TRUE(eventually([&] { return quai({"logs", "web"}).out == "serving\n"; }));

  auto stats = quai({"stats", "--no-stream", "web"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto lines = split_lines(stats.out);
  ASSERT_EQ(lines.size(), 2u) << stats.out;
  EXPECT_TRUE(lines[0].starts_with("CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT"))
      << lines[0];
  EXPECT_TRUE(contains(lines[1], " web ")) << lines[1];
  EXPECT_TRUE(contains(lines[1], "iB / ")) << "memory usage and limit: " << lines[1];
  // sh and its sleep: at least one process, and the count is the last column.
  EXPECT_NE(lines[1].back(), '0') << lines[1];

  auto top = quai({"top", "web"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  auto processes = split_lines(top.out);
  ASSERT_GE(processes.size(), 2u) << top.out;
  EXPECT_TRUE(contains(processes[0], "PID")) << processes[0];
  EXPECT_TRUE(contains(top.out, "while true")) << "the container's shell: " << top.out;
  EXPECT_FALSE(contains(top.out, "quai")) << "only the container's processes: " << top.out;
  auto custom = quai({"top", "web", "-o", "pid,comm"});
  EXPECT_TRUE(contains(custom.out, "sh")) << custom.both();

  EXPECT_EQ(quai({"stats", "--no-stream", "nosuch"}).exit_code, 1);
  EXPECT_EQ(quai({"stop", "-t", "1", "web"}).exit_code, 0);
  auto stopped = quai({"top", "web"});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_TRUE(contains(stopped.err, "is not running")) << stopped.err;
}

TEST_F(Walkthrough, ExecRunsInTheRunningContainer) {
  ASSERT_EQ(
      quai({"run", "-d", "--name", "box", "-e", "FROM_RUN=1", "busybox", "sleep", "60"}).exit_code,
      0);
  auto hello = quai({"exec", "box", "sh", "-c", "echo hi from $(hostname) $FROM_RUN"});
  EXPECT_EQ(hello.exit_code, 0) << hello.err;
  EXPECT_TRUE(hello.out.starts_with("hi from ")) << hello.out;
  EXPECT_TRUE(hello.out.ends_with(" 1\n")) << "the container's environment: " << hello.out;

  EXPECT_EQ(quai({"exec", "-e", "X=2", "box", "sh", "-c", "echo $X"}).out, "2\n");
  EXPECT_EQ(quai({"exec", "-w", "/tmp", "box", "pwd"}).out, "/tmp\n");
  EXPECT_EQ(quai({"exec", "-u", "1000:1001", "box", "id", "-u"}).out, "1000\n");
  EXPECT_EQ(quai({"exec", "box", "sh", "-c", "exit 7"}).exit_code, 7);
  EXPECT_EQ(quai({"exec", "box", "cat"}, "no stdin without -i").out, "");
  EXPECT_EQ(quai({"exec", "-i", "box", "cat"}, "stdin with -i").out, "stdin with -i");

  auto missing = quai({"exec", "box", "nosuchcmd"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_TRUE(contains(missing.err, "nosuchcmd")) << missing.err;
  EXPECT_EQ(quai({"exec", "box", "/etc/hostname"}).exit_code, 126) << "not executable";

  EXPECT_EQ(quai({"exec", "-d", "box", "touch", "/tmp/from-detached"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return quai({"exec", "box", "test", "-e", "/tmp/from-detached"}).exit_code == 0;
  }));

  auto terminal = quai_in_terminal({"exec", "-it", "box", "sh"}, "tty\nexit 4\n");
  EXPECT_EQ(terminal.exit_code, 4) << terminal.both();
  EXPECT_TRUE(contains(terminal.out, "/dev/pts/")) << terminal.out;

  EXPECT_EQ(quai({"stop", "-t", "0", "box"}).exit_code, 0);
  auto stopped = quai({"exec", "box", "true"});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_TRUE(contains(stopped.err, "is not running")) << stopped.err;
}

TEST_F(Walkthrough, AttachSeesOutputAndTheExitCode) {
  ASSERT_EQ(quai({"run", "-d", "--name", "talker", "busybox", "sh", "-c",
                  "while [ ! -e /tmp/stop ]; do echo tick; sleep 0.2; done; exit 4"})
                .exit_code,
            0);
  CommandResult attached;
  std::thread client([&] { attached = quai({"attach", "talker"}); });
  ::sleep(1);
  EXPECT_EQ(quai({"exec", "talker", "touch", "/tmp/stop"}).exit_code, 0);
  client.join();
  EXPECT_EQ(attached.exit_code, 4) << attached.both();
  EXPECT_TRUE(contains(attached.out, "tick\n")) << attached.out;
  auto late = quai({"attach", "talker"});
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_TRUE(contains(late.err, "start it first")) << late.err;
}

TEST_F(Walkthrough, ContainerLifecycle) {
  auto created = quai({"container", "create", "--name", "life", "busybox", "sleep", "60"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(quai({"container", "ls", "-a", "--format", "{{.Names}} {{.Status}}"}).out,
            "life Created\n");
  EXPECT_EQ(quai({"container", "start", "life"}).out, "life\n");
  EXPECT_EQ(quai({"container", "ls", "--format", "{{.Names}} {{.State}}"}).out, "life running\n");
  std::string pid = quai({"inspect", "-f", "{{.State.Pid}}", "life"}).out;
  EXPECT_EQ(quai({"container", "restart", "-t", "0", "life"}).out, "life\n");
  EXPECT_EQ(quai({"container", "ls", "--format", "{{.State}}"}).out, "running\n");
  EXPECT_NE(quai({"inspect", "-f", "{{.State.Pid}}", "life"}).out, pid) << "a new process";
  EXPECT_EQ(quai({"container", "stop", "-t", "0", "life"}).out, "life\n");
  EXPECT_EQ(quai({"container", "ls", "-q"}).out, "");
  quai({"container", "create", "--name", "other", "busybox"});
  auto pruned = quai({"container", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(split_lines(pruned.out).size(), 3u) << "two containers deleted: " << pruned.out;
  EXPECT_EQ(quai({"container", "ls", "-aq"}).out, "");
  quai({"container", "create", "--name", "gone", "busybox"});
  EXPECT_EQ(quai({"container", "rm", "gone"}).out, "gone\n");
  EXPECT_EQ(quai({"container", "rm", "gone"}).exit_code, 1);
}

// A container that keeps failing under --restart always spends most of its time in the
// back-off between runs: rm -f and stop still end it at once.
TEST_F(Walkthrough, AContainerWaitingToRestartIsRemovedAndStoppedAtOnce) {
  for (const char* verb : {"rm", "stop"}) {
    auto started = quai(
        {"run", "-d", "--name", "flappy", "--restart", "always", "busybox", "sh", "-c", "exit 1"});
    ASSERT_EQ(started.exit_code, 0) << started.both();
    std::string status;
    for (int i = 0; i < 200 && status != "restarting\n"; ++i) {
      usleep(10000);
      status = quai({"inspect", "-f", "{{.State.Status}}", "flappy"}).out;
    }
    ASSERT_EQ(status, "restarting\n");
    usleep(300000);  // into a back-off of 200 ms or more
    auto begin = std::chrono::steady_clock::now();
    auto ended = std::string(verb) == "rm" ? quai({"rm", "-f", "flappy"}, "", 10)
                                           : quai({"stop", "-t", "1", "flappy"}, "", 10);
    auto took = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(ended.exit_code, 0) << verb << ": " << ended.both();
    EXPECT_LT(took, std::chrono::seconds(2)) << verb;
    if (std::string(verb) == "stop") {
      EXPECT_EQ(quai({"inspect", "-f", "{{.State.Status}}", "flappy"}).out, "exited\n");
      ASSERT_EQ(quai({"rm", "flappy"}).exit_code, 0);
    }
  }
}

TEST_F(Walkthrough, ImagesListRemovePruneAndHistory) {
  auto listed = quai({"image", "ls"});
  EXPECT_TRUE(listed.out.starts_with("REPOSITORY   TAG")) << listed.out;
  EXPECT_TRUE(contains(listed.out, "busybox")) << listed.out;
  EXPECT_EQ(quai({"tag", "busybox", "mine:1"}).exit_code, 0);
  EXPECT_TRUE(contains(quai({"image", "ls"}).out, "mine")) << "the new tag is listed";
  auto removed = quai({"image", "rm", "mine:1"});
  EXPECT_EQ(removed.out, "Untagged: mine:1\n") << removed.err;

  // Importing under the same name twice leaves the first image dangling.
  std::string tree = path() + "/tree";
  ::mkdir(tree.c_str(), 0755);
  std::ofstream(tree + "/a") << "one";
  ASSERT_EQ(quai({"import", tree, "app:1"}).exit_code, 0);
  std::ofstream(tree + "/a") << "two";
  ASSERT_EQ(quai({"import", tree, "app:1"}).exit_code, 0);
  auto dangling = quai({"images", "-q", "--filter", "dangling=true"});
  EXPECT_EQ(split_lines(dangling.out).size(), 1u) << dangling.out;
  auto pruned = quai({"image", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_TRUE(contains(pruned.out, "deleted: sha256:")) << pruned.out;
  EXPECT_EQ(quai({"images", "-q", "--filter", "dangling=true"}).out, "");
  EXPECT_TRUE(contains(quai({"images"}).out, "app")) << "the tagged image stays";

  auto history = quai({"history", "busybox"});
  EXPECT_EQ(history.exit_code, 0) << history.err;
  EXPECT_TRUE(history.out.starts_with("IMAGE")) << history.out;
  EXPECT_GE(split_lines(history.out).size(), 2u) << history.out;
}

TEST_F(Walkthrough, NamedVolumeDataOutlivesTheContainer) {
  EXPECT_EQ(quai({"volume", "create", "my-vol"}).out, "my-vol\n");
  ASSERT_EQ(quai({"run", "-d", "--name", "devtest", "--mount", "source=my-vol,target=/app",
                  "busybox", "sh", "-c", "echo kept > /app/data; sleep 60"})
                .exit_code,
            0);
  EXPECT_TRUE(eventually([&] {
    return quai({"exec", "devtest", "cat", "/app/data"}).out == "kept\n";
  }));
  auto inspect = quai({"inspect", "-f", "{{json .Mounts}}", "devtest"});
  EXPECT_TRUE(contains(inspect.out, R"("Name":"my-vol")")) << inspect.out;
  EXPECT_TRUE(contains(inspect.out, R"("Type":"volume")")) << inspect.out;
  EXPECT_EQ(quai({"rm", "-f", "devtest"}).exit_code, 0);
  auto again =
      quai({"run", "--rm", "--mount", "source=my-vol,target=/app", "busybox", "cat", "/app/data"});
  EXPECT_EQ(again.out, "kept\n") << again.err;
  EXPECT_EQ(quai({"volume", "rm", "my-vol"}).exit_code, 0);
}

TEST_F(Walkthrough, BindTmpfsAndReadOnlyMounts) {
  std::string code = path() + "/code";
  ::mkdir(code.c_str(), 0755);
  std::ofstream(code + "/app.py") << "print('hi')\n";
  std::string bind = "type=bind,source=" + code + ",target=/app";
  auto seen = quai({"run", "--rm", "--mount", bind, "busybox", "sh", "-c",
                    "cat /app/app.py; echo made > /app/from-container"});
  EXPECT_EQ(seen.out, "print('hi')\n") << seen.err;
  EXPECT_EQ(read_text(code + "/from-container"), "made\n") << "writes reach the host";

  auto tmpfs = quai({"run", "--rm", "--mount", "type=tmpfs,target=/app,tmpfs-size=1m", "busybox",
                     "sh", "-c", "grep ' /app ' /proc/mounts"});
  EXPECT_TRUE(tmpfs.out.starts_with("tmpfs /app tmpfs")) << tmpfs.both();
  EXPECT_TRUE(contains(tmpfs.out, "size=1024k")) << tmpfs.out;
  auto short_form = quai({"run", "--rm", "--tmpfs", "/scratch", "busybox", "sh", "-c",
                          "grep -c ' /scratch tmpfs' /proc/mounts"});
  EXPECT_EQ(short_form.out, "1\n") << short_form.err;

  auto read_only_bind =
      quai({"run", "--rm", "--mount", bind + ",readonly", "busybox", "touch", "/app/refused"});
  EXPECT_NE(read_only_bind.exit_code, 0);
  EXPECT_TRUE(contains(read_only_bind.err, "Read-only file system")) << read_only_bind.err;
  struct stat st {};
  EXPECT_NE(::stat((code + "/refused").c_str(), &st), 0);

  auto read_only_root = quai({"run", "--rm", "--read-only", "busybox", "touch", "/refused"});
  EXPECT_NE(read_only_root.exit_code, 0);
  EXPECT_TRUE(contains(read_only_root.err, "Read-only file system")) << read_only_root.err;
}

TEST_F(Walkthrough, ExitCodesAsDockerGivesThem) {
  EXPECT_EQ(quai({"run", "--rm", "busybox", "sh", "-c", "exit 3"}).exit_code, 3);
  EXPECT_EQ(quai({"run", "--rm", "busybox", "nosuchcmd"}).exit_code, 127);
  auto not_executable = quai({"run", "--rm", "busybox", "/etc/hostname"});
  EXPECT_EQ(not_executable.exit_code, 126) << not_executable.err;
  EXPECT_EQ(quai({"run", "--rm", "nosuchimage"}).exit_code, 125);
  EXPECT_EQ(quai({"run", "--rm", "--nosuchflag", "busybox"}).exit_code, 125);
  // All the capabilities the host has (root here lacks CAP_SYS_RESOURCE).
  auto privileged = quai({"run", "--rm", "--privileged", "busybox", "true"});
  EXPECT_EQ(privileged.exit_code, 0) << privileged.err;
  EXPECT_EQ(quai({"ps", "-aq"}).out, "") << "--rm removed the failed containers too";
}

}  // namespace
}  // namespace quai::test
