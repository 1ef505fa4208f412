// quai cp, system df/prune, named volumes filled from the image, and --init, as a Docker
// user drives them. Each test has its own --root with a bootstrapped busybox image.

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "quai_env.h"

namespace quai::test {
namespace {

class QuaiCp : public QuaiTest {
 protected:
  // A stopped container "box" whose upper layer holds /d/a, /d/sub/b, /file (1234:5678) and
  // /link -> /d/a.
  void make_stopped_container() {
    auto made = quai({"run", "--name", "box", "busybox", "sh", "-c",
                      "mkdir -p /d/sub && echo one > /d/a && echo two > /d/sub/b && "
                      "echo f > /file && chown 1234:5678 /file && ln -s /d/a /link"});
    ASSERT_EQ(made.exit_code, 0) << made.both();
  }

  // Runs a detached container and waits (a bounded number of tries) until `ready_file`
  // exists in it, proving its command got that far.
  void run_detached(const std::vector<std::string>& args, const std::string& ready_file) {
    auto started = quai(args);
    ASSERT_EQ(started.exit_code, 0) << started.both();
    std::string name = args[3];
    for (int i = 0; i < 200; ++i) {
      if (quai({"cp", name + ":" + ready_file, "-"}).exit_code == 0) return;
      usleep(20000);
    }
    FAIL() << ready_file << " never appeared in " << name;
  }

  std::string host(const std::string& relative) const { return path() + "/" + relative; }

  // The image "seeded:1": busybox with /data/seed (1234:1234, 0640) holding `seed`, and
  // /data/sub/x.
  void make_seeded_image(const std::string& seed = "seed") {
    std::string tree = host("seeded");
    ASSERT_EQ(sh("mkdir -p " + tree + "/bin " + tree + "/data/sub && cp /bin/busybox " + tree +
                 "/bin/ && ln -sf busybox " + tree + "/bin/sh && echo " + seed + " > " + tree +
                 "/data/seed && chown 1234:1234 " + tree + "/data/seed && chmod 0640 " + tree +
                 "/data/seed && echo x > " + tree + "/data/sub/x")
                  .exit_code,
              0);
    auto imported = quai({"import", tree, "seeded:1"});
    ASSERT_EQ(imported.exit_code, 0) << imported.both();
  }
};

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

TEST_F(QuaiCp, FromAStoppedContainerFollowsDockersPathRules) {
  make_stopped_container();
  ASSERT_EQ(sh("mkdir " + host("into") + " " + host("content")).exit_code, 0);

  EXPECT_EQ(quai({"cp", "box:/file", host("out")}).exit_code, 0);
  EXPECT_EQ(read_text(host("out")), "f\n") << "a missing destination becomes the file";
  EXPECT_EQ(stat_of(host("out")).st_uid, ::geteuid()) << "owned by the caller without -a";
  EXPECT_EQ(quai({"cp", "-a", "box:/file", host("kept")}).exit_code, 0);
  EXPECT_EQ(stat_of(host("kept")).st_uid, 1234u);
  EXPECT_EQ(stat_of(host("kept")).st_gid, 5678u);

  EXPECT_EQ(quai({"cp", "box:/d", host("newdir")}).exit_code, 0);
  EXPECT_EQ(read_text(host("newdir/sub/b")), "two\n") << "a missing destination is the dir";
  EXPECT_EQ(quai({"cp", "box:/d", host("into")}).exit_code, 0);
  EXPECT_EQ(read_text(host("into/d/a")), "one\n") << "an existing dir receives the dir";
  EXPECT_EQ(quai({"cp", "box:/d/.", host("content")}).exit_code, 0);
  EXPECT_EQ(read_text(host("content/a")), "one\n") << "/. copies the content";
  EXPECT_EQ(quai({"cp", "box:/file", host("into") + "/"}).exit_code, 0);
  EXPECT_EQ(read_text(host("into/file")), "f\n");

  EXPECT_EQ(quai({"cp", "box:/link", host("link")}).exit_code, 0);
  EXPECT_TRUE(S_ISLNK(stat_of(host("link")).st_mode)) << "the link itself without -L";
  EXPECT_EQ(quai({"cp", "-L", "box:/link", host("followed")}).exit_code, 0);
  EXPECT_EQ(read_text(host("followed")), "one\n");

  auto missing = quai({"cp", "box:/nope", host("x")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("Could not find the file /nope in container box"), std::string::npos)
      << missing.err;
  auto dir_onto_file = quai({"cp", "box:/d", host("out")});
  EXPECT_EQ(dir_onto_file.exit_code, 1);
  EXPECT_NE(dir_onto_file.err.find("cannot copy a directory to a file"), std::string::npos)
      << dir_onto_file.err;
  auto no_dir = quai({"cp", "box:/file", host("absent") + "/"});
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_NE(no_dir.err.find("must exist"), std::string::npos) << no_dir.err;
}

TEST_F(QuaiCp, ToStdoutWritesATarNamedAfterTheSource) {
  make_stopped_container();
  auto tar = quai({"cp", "box:/d", "-"});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  auto listing = run({"tar", "-tf", "-"}, tar.out);
  EXPECT_EQ(listing.out, "d/\nd/a\nd/sub/\nd/sub/b\n");
}

TEST_F(QuaiCp, IntoAStoppedContainerChownsToRootUnlessArchive) {
  ASSERT_EQ(quai({"create", "--name", "box", "busybox", "sh", "-c",
                  "cat /hello /tree/in; stat -c '%u %g' /hello /kept"})
                .exit_code,
            0);
  ASSERT_EQ(sh("mkdir " + host("tree") + " && echo deep > " + host("tree/in") + " && echo hi > " +
               host("hello") + " && cp " + host("hello") + " " + host("kept") +
               " && chown 4321:4321 " + host("hello") + " " + host("kept"))
                .exit_code,
            0);
  EXPECT_EQ(quai({"cp", host("hello"), "box:/hello"}).exit_code, 0);
  EXPECT_EQ(quai({"cp", "-a", host("kept"), "box:/"}).exit_code, 0);
  EXPECT_EQ(quai({"cp", host("tree"), "box:/tree"}).exit_code, 0);
  auto started = quai({"start", "-a", "box"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out, "hi\ndeep\n0 0\n4321 4321\n");
}

TEST_F(QuaiCp, IntoARunningContainerReachesItsVolumes) {
  run_detached({"run", "-d", "--name", "runner", "-v", "vol:/data", "busybox", "sh", "-c",
                "touch /ready; sleep 600"},
               "/ready");
  ASSERT_EQ(sh("echo payload > " + host("p")).exit_code, 0);
  auto copied = quai({"cp", host("p"), "runner:/data/p"});
  EXPECT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_EQ(read_text(root() + "/volumes/vol/_data/p"), "payload\n");
  EXPECT_EQ(quai({"cp", host("p"), "runner:/tmp/"}).exit_code, 0);
  EXPECT_EQ(quai({"cp", "runner:/tmp/p", host("back")}).exit_code, 0);
  EXPECT_EQ(read_text(host("back")), "payload\n");
}

TEST_F(QuaiCp, PathsThatClimbOrLinkOutsideStayInTheContainer) {
  std::string outside = host("outside");
  ASSERT_EQ(sh("mkdir " + outside + " && echo host secret > " + outside + "/secret").exit_code, 0);
  ASSERT_EQ(quai({"run", "--name", "box", "busybox", "sh", "-c",
                  "mkdir -p " + outside + " && ln -s " + outside + " /escape && ln -s " + outside +
                      "/secret /leak"})
                .exit_code,
            0);
  ASSERT_EQ(sh("echo evil > " + host("evil")).exit_code, 0);

  quai({"cp", host("evil"), "box:/escape/through-link"});
  quai({"cp", host("evil"), "box:/../../../../../../" + outside + "/through-dots"});
  EXPECT_FALSE(::access((outside + "/through-link").c_str(), F_OK) == 0);
  EXPECT_FALSE(::access((outside + "/through-dots").c_str(), F_OK) == 0);
  EXPECT_EQ(quai({"cp", "box:" + outside + "/through-link", "-"}).exit_code, 0)
      << "the link was followed inside the container's root";

  auto leaked = quai({"cp", "-L", "box:/leak", host("leaked")});
  EXPECT_NE(read_text(host("leaked")), "host secret\n");
  EXPECT_EQ(leaked.exit_code, 1);
}

TEST_F(QuaiCp, TarOnStdinCannotClimbOrFollowLinksOut) {
  ASSERT_EQ(quai({"create", "--name", "box", "busybox", "true"}).exit_code, 0);
  std::string outside = host("outside");
  ASSERT_EQ(
      sh("mkdir -p " + outside + " " + host("a") + " " + host("b/link") + " && echo x > " +
         host("a/f") + " && tar -cPf " + host("dots.tar") + " --transform='s,^,../../../../,' -C " +
         host("a") + " f && ln -s " + outside + " " + host("a/link") + " && echo y > " +
         host("b/link/pwned") + " && tar -cf " + host("links.tar") + " -C " + host("a") +
         " link && tar -rf " + host("links.tar") + " -C " + host("b") + " link/pwned")
          .exit_code,
      0);

  auto dots = quai({"cp", "-", "box:/tmp"}, read_text(host("dots.tar")));
  EXPECT_EQ(dots.exit_code, 1);
  EXPECT_NE(dots.err.find("../../../../f"), std::string::npos) << dots.err;

  auto links = quai({"cp", "-", "box:/tmp"}, read_text(host("links.tar")));
  EXPECT_EQ(links.exit_code, 0) << links.err;
  EXPECT_FALSE(::access((outside + "/pwned").c_str(), F_OK) == 0) << "written on the host";
  auto inside = quai({"cp", "box:/tmp" + outside + "/pwned", "-"});
  EXPECT_EQ(inside.exit_code, 0) << "the link is resolved inside the destination";
}

TEST_F(QuaiCp, NamedVolumeIsFilledFromTheImageOnlyOnFirstUse) {
  make_seeded_image();
  auto first = quai({"run", "--rm", "-v", "seedvol:/data", "seeded:1", "/bin/busybox", "cat",
                     "/data/seed", "/data/sub/x"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "seed\nx\n");
  auto st = stat_of(root() + "/volumes/seedvol/_data/seed");
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  quai({"run", "--rm", "-v", "seedvol:/data", "seeded:1", "/bin/busybox", "rm", "-r", "/data/seed",
        "/data/sub"});
  auto again =
      quai({"run", "--rm", "-v", "seedvol:/data", "seeded:1", "/bin/busybox", "ls", "-A", "/data"});
  EXPECT_EQ(again.out, "") << "an emptied volume is not filled a second time";

  auto nocopy = quai({"run", "--rm", "--mount", "source=nc,target=/data,volume-nocopy", "seeded:1",
                      "/bin/busybox", "ls", "-A", "/data"});
  EXPECT_EQ(nocopy.exit_code, 0) << nocopy.err;
  EXPECT_EQ(nocopy.out, "");

  ASSERT_EQ(sh("mkdir " + host("bind")).exit_code, 0);
  auto bind = quai({"run", "--rm", "-v", host("bind") + ":/data", "seeded:1", "/bin/busybox", "ls",
                    "-A", "/data"});
  EXPECT_EQ(bind.out, "") << "bind mounts are never filled";
}

TEST_F(QuaiCp, InitRunsAsPid1WithTheCommandAsItsChild) {
  auto ps = quai({"run", "--rm", "--init", "busybox", "ps", "-o", "pid,args"});
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  bool init_first = false, command_child = false;
  for (const auto& line : split_lines(ps.out)) {
    auto fields = line.substr(line.find_first_not_of(' '));
    if (fields == "1 /sbin/docker-init -- ps -o pid,args") init_first = true;
    if (!fields.starts_with("1 ") && fields.ends_with(" ps -o pid,args")) command_child = true;
  }
  EXPECT_TRUE(init_first) << ps.out;
  EXPECT_TRUE(command_child) << ps.out;
}

TEST_F(QuaiCp, InitForwardsStopSignalsToTheCommand) {
  // Without an init, sleep as PID 1 ignores SIGTERM and would be killed after the timeout
  // (137); under tini it gets the SIGTERM and the container exits 143.
  run_detached({"run", "-d", "--name", "sig", "--init", "busybox", "sh", "-c",
                "touch /ready; exec sleep 600"},
               "/ready");
  EXPECT_EQ(quai({"stop", "-t", "120", "sig"}).exit_code, 0);
  EXPECT_EQ(quai({"inspect", "-f", "{{.State.ExitCode}}", "sig"}).out, "143\n");
}

TEST_F(QuaiCp, SystemDfCountsImagesContainersAndVolumes) {
  ASSERT_EQ(quai({"run", "--name", "big", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /big"})
                .exit_code,
            0);
  ASSERT_EQ(
      quai({"run", "--rm", "-v", "v1:/d", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /d/f"})
          .exit_code,
      0);
  auto df = quai({"system", "df"});
  ASSERT_EQ(df.exit_code, 0) << df.err;
  auto lines = split_lines(df.out);
  ASSERT_EQ(lines.size(), 5u) << df.out;
  EXPECT_EQ(lines[0], "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE");
  EXPECT_TRUE(lines[1].starts_with("Images          1         1         ")) << lines[1];
  EXPECT_TRUE(lines[1].ends_with(" 0B (0%)")) << "busybox is used by a container: " << lines[1];
  EXPECT_EQ(lines[2], "Containers      1         0         100kB     100kB (100%)");
  EXPECT_EQ(lines[3], "Local Volumes   1         0         5kB       5kB (100%)");
  EXPECT_EQ(lines[4], "Build Cache     0         0         0B        0B");
}

TEST_F(QuaiCp, SystemPruneAsksThenRemovesWhatNothingUses) {
  make_seeded_image();
  make_seeded_image("other");  // the first seeded:1 becomes dangling
  ASSERT_EQ(quai({"run", "--name", "stopped", "-v", "/anon", "busybox", "true"}).exit_code, 0);
  run_detached({"run", "-d", "--name", "running", "busybox", "sh", "-c", "touch /ready; sleep 600"},
               "/ready");
  ASSERT_EQ(quai({"volume", "create", "named"}).exit_code, 0);
  std::string stopped_id = quai({"inspect", "-f", "{{.Id}}", "stopped"}).out;

  auto declined = quai({"system", "prune"}, "n\n");
  EXPECT_EQ(declined.exit_code, 0);
  EXPECT_NE(declined.out.find("WARNING! This will remove:\n  - all stopped containers\n"),
            std::string::npos)
      << declined.out;
  EXPECT_NE(declined.out.find("Are you sure you want to continue? [y/N] "), std::string::npos);
  EXPECT_EQ(split_lines(quai({"ps", "-aq"}).out).size(), 2u) << "nothing removed on 'n'";

  auto pruned = quai({"system", "prune", "--volumes"}, "y\n");
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("Deleted Containers:\n" + stopped_id), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("Deleted Volumes:\n"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("Deleted Images:\n"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("Total reclaimed space: "), std::string::npos) << pruned.out;
  EXPECT_EQ(quai({"ps", "-a", "--format", "{{.Names}}"}).out, "running\n");
  EXPECT_EQ(quai({"volume", "ls", "-q"}).out, "named\n") << "named volumes stay";
  EXPECT_EQ(split_lines(quai({"images", "-q"}).out).size(), 2u) << "busybox and seeded:1";

  auto all = quai({"system", "prune", "-a", "-f"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("untagged: seeded:1"), std::string::npos) << all.out;
  EXPECT_EQ(quai({"images", "--format", "{{.Repository}}"}).out, "busybox\n");
  EXPECT_EQ(quai({"system", "check"}).out, "No problems found\n");
}

}  // namespace
}  // namespace quai::test
