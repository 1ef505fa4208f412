// Issue 6: bridge networks as a Docker user drives them (network create/ls/inspect/rm,
// run --network/--ip). Traffic stays on this machine: the host and the test's own bridges.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "quai_env.h"

namespace quai::test {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Whether this process can bind the TCP or UDP port on `address` (nobody holds it).
bool port_free(const std::string& address, int port, int type = SOCK_STREAM) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &where.sin_addr);
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0;
  ::close(fd);
  return free;
}

// Sends `text` to a UDP port on loopback and returns the answer ("" after 10 tries of 200 ms).
std::string udp_exchange(int port, const std::string& text) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  timeval wait{0, 200000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  for (int i = 0; i < 10 && answer.empty(); ++i) {
    ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    char buffer[256];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) answer.assign(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

// The host's own address on its default route's interface (192.0.2.2 here): local, so
// traffic to it stays on this machine.
std::string host_address() {
  auto route =
      run({"sh", "-c", "ip -4 route get 1.1.1.1 | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'"});
  return route.out.substr(0, route.out.find('\n'));
}

// SIGKILLs every process of quai's own binary working on `root`: the CLI and the monitor
// (a fork of it, in a session of its own), and a container's init not yet exec()ed.
void kill_quai_processes(const std::string& root) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (cmdline.starts_with(quai_binary() + '\0') && contains(cmdline, root))
      ::kill(std::stoi(pid), SIGKILL);
  }
}

class QuaiNetwork : public QuaiTest {
 protected:
  std::string create_network(const std::string& name, const std::string& subnet) {
    auto made = quai({"network", "create", "--subnet", subnet, name});
    EXPECT_EQ(made.exit_code, 0) << made.both();
    return made.out.substr(0, 64);
  }
  // A detached busybox httpd serving /etc; returns its id once the host gets an answer.
  std::string serve(const std::vector<std::string>& network_args, const std::string& address) {
    std::vector<std::string> args = {"run", "-d"};
    args.insert(args.end(), network_args.begin(), network_args.end());
    args.insert(args.end(), {"busybox", "httpd", "-f", "-p", "80", "-h", "/etc"});
    auto started = quai(args);
    EXPECT_EQ(started.exit_code, 0) << started.both();
    for (int i = 0; i < 100; ++i) {
      if (run({"curl", "-sf", "-m", "1", "http://" + address + "/hostname"}).exit_code == 0) break;
      usleep(20000);
    }
    return started.out.substr(0, 64);
  }
  CommandResult fetch_from(const std::string& network, const std::string& url) {
    return quai({"run", "--rm", "--network", network, "busybox", "wget", "-qO-", url});
  }
};

TEST_F(QuaiNetwork, ContainersOnAUserNetworkReachEachOtherAndTheHostReachesThem) {
  std::string id = create_network("front", "10.201.0.0/24");
  std::string web =
      serve({"--name", "web", "--network", "front", "--ip", "10.201.0.10"}, "10.201.0.10");
  auto from_host = run({"curl", "-s", "-m", "2", "http://10.201.0.10/hostname"});
  EXPECT_EQ(from_host.out, web.substr(0, 12) + "\n") << from_host.both();
  auto from_peer = fetch_from("front", "http://10.201.0.10/hostname");
  EXPECT_EQ(from_peer.out, web.substr(0, 12) + "\n") << from_peer.both();
  auto inspected = quai({"network", "inspect", "front"});
  EXPECT_TRUE(contains(inspected.out, "\"IPv4Address\": \"10.201.0.10/24\"")) << inspected.out;
  EXPECT_TRUE(contains(inspected.out, "\"Name\": \"web\"")) << inspected.out;
  EXPECT_TRUE(contains(inspected.out, "\"Id\": \"" + id + "\"")) << inspected.out;
}

TEST_F(QuaiNetwork, ContainersFindEachOtherByNameAndAliasAsTheyComeAndGo) {
  create_network("front", "10.207.0.0/24");
  std::string web = serve(
      {"--name", "web", "--network", "front", "--network-alias", "www", "--network-alias", "site"},
      "10.207.0.2");
  for (const char* name : {"web", "www", "site"}) {
    auto by_name = fetch_from("front", std::string("http://") + name + "/hostname");
    EXPECT_EQ(by_name.out, web.substr(0, 12) + "\n") << name << ": " << by_name.both();
  }
  // A container already running learns of one that joins after it, and forgets it again.
  auto watcher =
      quai({"run", "-d", "--name", "watcher", "--network", "front", "busybox", "sleep", "60"});
  ASSERT_EQ(watcher.exit_code, 0) << watcher.both();
  auto late = quai({"run", "-d", "--name", "late", "--network", "front", "busybox", "sleep", "60"});
  ASSERT_EQ(late.exit_code, 0) << late.both();
  auto hosts = quai({"exec", "watcher", "cat", "/etc/hosts"});
  EXPECT_TRUE(contains(hosts.out, "10.207.0.2\tweb www site\n")) << hosts.out;
  EXPECT_TRUE(contains(hosts.out, "10.207.0.4\tlate\n")) << hosts.out;
  ASSERT_EQ(quai({"rm", "-f", "late"}).exit_code, 0);
  hosts = quai({"exec", "watcher", "cat", "/etc/hosts"});
  EXPECT_FALSE(contains(hosts.out, "late")) << hosts.out;
  auto ping = quai({"exec", "watcher", "ping", "-c", "1", "-W", "2", "www"});
  EXPECT_EQ(ping.exit_code, 0) << ping.both();
}

TEST_F(QuaiNetwork, NamesOnOneNetworkAreUnknownOnAnotherAndOnTheDefaultBridge) {
  create_network("front", "10.208.0.0/24");
  create_network("back", "10.209.0.0/24");
  serve({"--name", "web", "--network", "front"}, "10.208.0.2");
  auto other = quai({"run", "--rm", "--network", "back", "busybox", "grep", "web", "/etc/hosts"});
  EXPECT_NE(other.exit_code, 0) << other.both();
  auto bridged =
      quai({"run", "-d", "--name", "b1", "--network", "bridge", "busybox", "sleep", "60"});
  ASSERT_EQ(bridged.exit_code, 0) << bridged.both();
  // -w: the container's own line names its hostname, a random id, which may hold "b1".
  auto on_default =
      quai({"run", "--rm", "--network", "bridge", "busybox", "grep", "-w", "b1", "/etc/hosts"});
  EXPECT_NE(on_default.exit_code, 0)
      << "only links resolve on the default bridge: " << on_default.both();
}

// Issue 6, acceptance 3.
TEST_F(QuaiNetwork, FiftyContainersAllKnowEachOtherAndLeaveNothingWhenRemoved) {
  std::string id = create_network("many", "10.210.0.0/24");
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) {
    names.push_back("c" + std::to_string(i));
    auto started =
        quai({"run", "-d", "--name", names.back(), "--network", "many", "busybox", "sleep", "60"});
    ASSERT_EQ(started.exit_code, 0) << started.both();
  }
  for (const std::string& name : {names.front(), names[25], names.back()}) {
    auto hosts = quai({"exec", name, "cat", "/etc/hosts"});
    for (const std::string& other : names) {
      if (other == name) continue;
      EXPECT_TRUE(contains(hosts.out, "\t" + other + "\n")) << name << " misses " << other;
    }
  }
  auto reached = quai({"exec", names.front(), "ping", "-c", "1", "-W", "2", names.back()});
  EXPECT_EQ(reached.exit_code, 0) << reached.both();
  std::vector<std::string> rm = {"rm", "-f"};
  rm.insert(rm.end(), names.begin(), names.end());
  ASSERT_EQ(quai(rm).exit_code, 0);
  auto inspected = quai({"network", "inspect", "many"});
  EXPECT_TRUE(contains(inspected.out, "\"Containers\": {}")) << inspected.out;
  EXPECT_EQ(entries(root() + "/networks/" + id + "/ips"), std::vector<std::string>{})
      << "addresses still claimed";
  // The kernel deletes a veth with its namespace, in a work queue after the last process
  // left: give it a moment.
  CommandResult links;
  for (int i = 0; i < 150; ++i) {
    links = run({"sh", "-c", "ip -o link show | grep -c ': qv' || true"});
    if (links.out == "0\n") break;
    usleep(20000);
  }
  EXPECT_EQ(links.out, "0\n") << "veths left";
}

TEST_F(QuaiNetwork, AContainerOnAnotherNetworkCannotReachIt) {
  create_network("front", "10.202.0.0/24");
  create_network("back", "10.203.0.0/24");
  serve({"--network", "front", "--ip", "10.202.0.10"}, "10.202.0.10");
  auto across =
      quai({"run", "--rm", "--network", "back", "busybox", "nc", "-w", "2", "10.202.0.10", "80"});
  EXPECT_NE(across.exit_code, 0) << across.both();
  EXPECT_EQ(fetch_from("front", "http://10.202.0.10/hostname").exit_code, 0);
}

TEST_F(QuaiNetwork, EtcHostsNamesTheContainersOwnAddressAndTheLowestFreeOneIsTaken) {
  create_network("front", "10.204.0.0/24");
  auto hosts = quai({"run", "--rm", "--network", "front", "-h", "box", "busybox", "sh", "-c",
                     "tail -1 /etc/hosts; ip -4 -o addr show eth0"});
  EXPECT_TRUE(contains(hosts.out, "10.204.0.2\tbox\n")) << hosts.both();
  EXPECT_TRUE(contains(hosts.out, "inet 10.204.0.2/24")) << hosts.both();
  auto again = quai({"run", "--rm", "--network", "front", "busybox", "tail", "-1", "/etc/hosts"});
  EXPECT_TRUE(again.out.starts_with("10.204.0.2\t"))
      << "the first one's address came back: " << again.both();
}

TEST_F(QuaiNetwork, ANetworkInUseStaysAndGoesWithItsBridgeOnceFree) {
  std::string id = create_network("front", "10.205.0.0/24");
  std::string bridge = "qbr-" + id.substr(0, 11);
  EXPECT_EQ(run({"ip", "link", "show", bridge}).exit_code, 0);
  std::string web = serve({"--network", "front"}, "10.205.0.2");
  auto busy = quai({"network", "rm", "front"});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_EQ(busy.err, "quai: error: error while removing network: network front id " + id +
                          " has active endpoints\n");
  ASSERT_EQ(quai({"rm", "-f", web}).exit_code, 0);
  auto removed = quai({"network", "rm", "front"});
  EXPECT_EQ(removed.out, "front\n") << removed.both();
  EXPECT_NE(run({"ip", "link", "show", bridge}).exit_code, 0) << "the bridge is gone";
  auto ls = quai({"network", "ls"});
  EXPECT_FALSE(contains(ls.out, "front")) << ls.out;
  EXPECT_TRUE(contains(ls.out, " bridge ") && contains(ls.out, " host ") &&
              contains(ls.out, " none "))
      << ls.out;
}

TEST_F(QuaiNetwork, ContainerModeSharesTheOtherContainersNetworkNamespace) {
  create_network("front", "10.212.0.0/24");
  std::string web = serve({"--name", "web", "--network", "front"}, "10.212.0.2");
  auto beside = quai({"run", "--rm", "--network", "container:web", "busybox", "sh", "-c",
                      "wget -qO- http://127.0.0.1/hostname; ip -4 -o addr show eth0"});
  EXPECT_TRUE(contains(beside.out, web.substr(0, 12) + "\n")) << beside.both();
  EXPECT_TRUE(contains(beside.out, "inet 10.212.0.2/24")) << beside.both();
  ASSERT_EQ(quai({"stop", "-t", "0", "web"}).exit_code, 0);
  auto stopped = quai({"run", "--rm", "--network", "container:web", "busybox", "true"});
  EXPECT_EQ(stopped.err,
            "quai: error: cannot join network of a non running container: " + web + "\n");
  auto missing = quai({"run", "--rm", "--network", "container:nothing", "busybox", "true"});
  EXPECT_EQ(missing.err, "quai: error: No such container: nothing\n");
}

TEST_F(QuaiNetwork, LinksResolveOnTheDefaultBridge) {
  auto started = quai({"run", "-d", "--name", "web", "--network", "bridge", "busybox", "httpd",
                       "-f", "-p", "80", "-h", "/etc"});
  ASSERT_EQ(started.exit_code, 0) << started.both();
  std::string web = started.out.substr(0, 64);
  auto linked =
      quai({"run", "--rm", "--network", "bridge", "--link", "web:site", "busybox", "sh", "-c",
            "grep site /etc/hosts; for i in 1 2 3 4 5 6 7 8 9 10; do "
            "wget -qO- http://site/hostname && break; sleep 0.1; done"});
  EXPECT_TRUE(contains(linked.out, "\tsite " + web.substr(0, 12) + " web\n")) << linked.both();
  EXPECT_TRUE(contains(linked.out, web.substr(0, 12) + "\n")) << linked.both();
  ASSERT_EQ(quai({"stop", "-t", "0", "web"}).exit_code, 0);
  auto to_stopped =
      quai({"run", "--rm", "--link", "web:site", "--network", "bridge", "busybox", "true"});
  EXPECT_TRUE(
      contains(to_stopped.err, "quai: error: Cannot link to a non running container: /web AS /"))
      << to_stopped.both();
}

// Each restart makes a new namespace, so a new veth, with the address kept.
TEST_F(QuaiNetwork, ARestartedContainerGetsItsNetworkBack) {
  create_network("front", "10.214.0.0/24");
  auto started = quai({"run", "-d", "--name", "flappy", "--restart", "on-failure:3", "--network",
                       "front", "busybox", "sh", "-c", "ip -4 -o addr show eth0; exit 1"});
  ASSERT_EQ(started.exit_code, 0) << started.both();
  std::string status;
  for (int i = 0; i < 300 && status != "exited\n"; ++i) {
    usleep(20000);
    status = quai({"inspect", "-f", "{{.State.Status}}", "flappy"}).out;
  }
  ASSERT_EQ(status, "exited\n");
  auto logs = quai({"logs", "flappy"});
  size_t runs = 0;
  for (size_t at = logs.out.find("inet 10.214.0.2/24"); at != std::string::npos;
       at = logs.out.find("inet 10.214.0.2/24", at + 1))
    ++runs;
  EXPECT_EQ(runs, 4u) << "the first run and three restarts, on the same address: " << logs.both();
}

TEST_F(QuaiNetwork, RefusesWhatDockerRefuses) {
  create_network("front", "10.206.0.0/24");
  auto taken = quai({"network", "create", "front"});
  EXPECT_EQ(taken.err, "quai: error: network with name front already exists\n");
  auto overlap = quai({"network", "create", "--subnet", "10.206.0.128/25", "other"});
  EXPECT_EQ(overlap.err,
            "quai: error: invalid pool request: Pool overlaps with other one on this address "
            "space\n");
  auto missing = quai({"run", "--rm", "--network", "nowhere", "busybox", "true"});
  EXPECT_EQ(missing.err, "quai: error: network nowhere not found\n");
  auto on_default =
      quai({"run", "--rm", "--ip", "172.17.0.9", "--network", "bridge", "busybox", "true"});
  EXPECT_EQ(on_default.err,
            "quai: error: user specified IP address is supported on user defined networks only\n");
  auto outside = quai({"run", "--rm", "--network", "front", "--ip", "10.9.9.9", "busybox", "true"});
  EXPECT_EQ(outside.err,
            "quai: error: Invalid address 10.9.9.9: It does not belong to any of this network's "
            "subnets\n");
  auto inspect = quai({"network", "inspect", "nowhere"});
  EXPECT_EQ(inspect.err, "quai: error: No such network: nowhere\n");
  auto twice = quai({"run", "--rm", "--network", "front", "--network", "front", "busybox", "true"});
  EXPECT_EQ(twice.err, "quai: error: network front is specified multiple times\n");
  auto quoted = quai({"network", "create", "-o", "com.docker.network.bridge.name=a\"b", "odd"});
  EXPECT_EQ(quoted.err,
            "quai: error: com.docker.network.bridge.name=a\"b: a bridge name is 1 to 15 letters, "
            "digits, '_', '.' or '-'\n");
  auto taken_name = quai({"network", "create", "-o", "com.docker.network.bridge.name=lo", "odd"});
  EXPECT_EQ(taken_name.err,
            "quai: error: com.docker.network.bridge.name=lo: the host has an interface of that "
            "name already\n");
}

// A linked container whose monitor and init were killed after the link was made: the
// linking container's start fails with Docker's message, at once.
TEST_F(QuaiNetwork, ALinkToAContainerKilledWithItsMonitorFailsAtOnce) {
  auto db = quai({"run", "-d", "--name", "db", "--network", "bridge", "busybox", "sleep", "60"});
  ASSERT_EQ(db.exit_code, 0) << db.both();
  auto app =
      quai({"create", "--name", "app", "--network", "bridge", "--link", "db:x", "busybox", "true"});
  ASSERT_EQ(app.exit_code, 0) << app.both();
  std::string init = split_lines(quai({"inspect", "-f", "{{.State.Pid}}", "db"}).out).at(0);
  auto killed = run({"sh", "-c", "kill -9 $(ps -o ppid= -p $0) $0", init});
  ASSERT_EQ(killed.exit_code, 0) << killed.both();
  usleep(200000);
  auto linked = quai({"start", "-a", "app"}, "", 10);
  EXPECT_NE(linked.exit_code, 0) << linked.both();
  EXPECT_TRUE(contains(linked.err, "Cannot link to a non running container: /db AS /"))
      << linked.both();
}

// Issue 6, acceptance 2.
TEST_F(QuaiNetwork, APublishedPortIsServedOnLoopbackAndIsFreeAgainAfterRm) {
  ASSERT_TRUE(port_free("127.0.0.1", 8080)) << "something else holds 8080";
  std::string web =
      serve({"--name", "web", "-p", "127.0.0.1:8080:80", "-p", "80", "--network", "bridge"},
            "127.0.0.1:8080");
  auto served = run({"curl", "-s", "-m", "2", "http://127.0.0.1:8080/hostname"});
  EXPECT_EQ(served.out, web.substr(0, 12) + "\n") << served.both();
  EXPECT_FALSE(port_free("127.0.0.1", 8080)) << "the host port is held while it runs";
  auto port = quai({"port", "web", "80"});
  ASSERT_EQ(port.exit_code, 0) << port.both();
  auto lines = split_lines(port.out);
  ASSERT_EQ(lines.size(), 2u) << port.out;
  EXPECT_EQ(lines[0], "127.0.0.1:8080");
  ASSERT_TRUE(lines[1].starts_with("0.0.0.0:")) << port.out;
  std::string random = lines[1].substr(8);
  EXPECT_GE(std::stoi(random), 1024) << port.out;
  auto by_random = run({"curl", "-s", "-m", "2", "http://127.0.0.1:" + random + "/hostname"});
  EXPECT_EQ(by_random.out, web.substr(0, 12) + "\n") << by_random.both();
  auto all = quai({"port", "web"});
  EXPECT_EQ(all.out, "80/tcp -> 127.0.0.1:8080\n80/tcp -> 0.0.0.0:" + random + "\n");
  auto ps = quai({"ps", "--format", "{{.Ports}}"});
  EXPECT_EQ(ps.out, "127.0.0.1:8080->80/tcp, 0.0.0.0:" + random + "->80/tcp\n");
  auto inspected = quai({"inspect", "-f", "{{json .NetworkSettings.Ports}}", "web"});
  EXPECT_EQ(inspected.out,
            "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"},"
            "{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"" +
                random + "\"}]}\n");
  auto none = quai({"port", "web", "81/udp"});
  EXPECT_EQ(none.err, "quai: error: No public port '81/udp' published for web\n");

  auto taken =
      quai({"run", "-d", "-p", "127.0.0.1:8080:80", "--network", "bridge", "busybox", "true"});
  EXPECT_EQ(taken.exit_code, 125);
  EXPECT_TRUE(contains(taken.err, "Bind for 127.0.0.1:8080 failed: port is already allocated"))
      << taken.both();

  ASSERT_EQ(quai({"rm", "-f", "web"}).exit_code, 0);
  EXPECT_TRUE(port_free("127.0.0.1", 8080));
  EXPECT_TRUE(port_free("0.0.0.0", std::stoi(random)));
  auto rules = run({"nft", "list", "ruleset"});
  EXPECT_FALSE(contains(rules.out, ": 172.")) << "a forwarding is left: " << rules.out;
  EXPECT_NE(run({"curl", "-s", "-m", "1", "http://127.0.0.1:8080/hostname"}).exit_code, 0);
}

TEST_F(QuaiNetwork, UdpIsPublishedAndAnotherContainerReachesAPortThroughTheHostsAddress) {
  create_network("front", "10.215.0.0/24");
  create_network("back", "10.216.0.0/24");
  auto echo = quai({"run", "-d", "--name", "echo", "--network", "front", "-p", "127.0.0.1::53/udp",
                    "-v", helper_binary() + ":/helper:ro", "busybox", "/helper", "udp-echo", "53"});
  ASSERT_EQ(echo.exit_code, 0) << echo.both();
  auto port = quai({"port", "echo", "53/udp"});
  ASSERT_TRUE(port.out.starts_with("127.0.0.1:")) << port.both();
  int udp = std::stoi(port.out.substr(10));
  EXPECT_EQ(udp_exchange(udp, "ping"), "echo: ping");

  std::string host = host_address();
  ASSERT_FALSE(host.empty());
  serve({"--name", "web", "--network", "front", "-p", "18080:80"}, "127.0.0.1:18080");
  auto from_other = fetch_from("back", "http://" + host + ":18080/hostname");
  EXPECT_EQ(from_other.exit_code, 0) << "through " << host << ": " << from_other.both();
  auto from_same = fetch_from("front", "http://" + host + ":18080/hostname");
  EXPECT_EQ(from_same.exit_code, 0) << "hairpin through " << host << ": " << from_same.both();
  auto direct =
      quai({"run", "--rm", "--network", "back", "busybox", "nc", "-w", "2", "10.215.0.3", "80"});
  EXPECT_NE(direct.exit_code, 0) << "only the published port crosses networks";
}

TEST_F(QuaiNetwork, PublishAllTakesEveryExposedPort) {
  auto started = quai({"run", "-d", "--name", "all", "-P", "--expose", "80", "--expose",
                       "7000-7001/udp", "--network", "bridge", "busybox", "sleep", "60"});
  ASSERT_EQ(started.exit_code, 0) << started.both();
  auto ports = split_lines(quai({"port", "all"}).out);
  ASSERT_EQ(ports.size(), 3u) << ::testing::PrintToString(ports);
  EXPECT_TRUE(ports[0].starts_with("7000/udp -> 0.0.0.0:")) << ports[0];
  EXPECT_TRUE(ports[1].starts_with("7001/udp -> 0.0.0.0:")) << ports[1];
  EXPECT_TRUE(ports[2].starts_with("80/tcp -> 0.0.0.0:")) << ports[2];
  auto host_mode = quai({"run", "--rm", "-p", "80", "--network", "host", "busybox", "true"});
  EXPECT_EQ(host_mode.err, "WARNING: Published ports are discarded when using host network mode\n");
  auto bad = quai({"run", "--rm", "-p", "80/sctp", "busybox", "true"});
  EXPECT_EQ(bad.err,
            "quai: error: invalid argument \"80/sctp\" for \"-p, --publish\" flag: invalid proto: "
            "sctp\n");
}

// Issue 6, acceptance 4: the CLI and the monitor SIGKILLed at random points of a `run` on a
// network with a published port, 20 times. Each time the next `run` gets the port and the
// network, and at the end no veth, claim, forwarding or mount is left.
TEST_F(QuaiNetwork, KillsDuringNetworkSetupLeaveNothingBehind) {
  std::string id = create_network("front", "10.219.0.0/24");
  std::vector<std::string> args = {
      "run", "-d", "--network", "front", "-p",  "127.0.0.1:18082:80", "busybox", "httpd",
      "-f",  "-p", "80",        "-h",    "/etc"};
  auto begin = std::chrono::steady_clock::now();
  auto timed = quai(args);
  auto longest = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - begin);
  ASSERT_EQ(timed.exit_code, 0) << timed.both();
  ASSERT_EQ(quai({"rm", "-f", timed.out.substr(0, 64)}).exit_code, 0);
  std::mt19937_64 random{std::random_device{}()};
  for (int trial = 1; trial <= 20 && !HasFatalFailure(); ++trial) {
    auto delay = std::uniform_int_distribution<int64_t>(0, longest.count())(random);
    std::vector<std::string> argv = quai_argv(args);
    pid_t cli = ::fork();
    if (cli == 0) {
      int null = ::open("/dev/null", O_RDWR);
      for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
      std::vector<char*> raw;
      for (auto& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
    kill_quai_processes(root());
    ::waitpid(cli, nullptr, 0);
    kill_quai_processes(root());  // a monitor forked while /proc was read
    std::string web = serve({"--network", "front", "-p", "127.0.0.1:18082:80"}, "127.0.0.1:18082");
    auto served = run({"curl", "-s", "-m", "2", "http://127.0.0.1:18082/hostname"});
    EXPECT_EQ(served.out, web.substr(0, 12) + "\n")
        << "trial " << trial << " (killed after " << delay << " us): " << served.both();
    for (const auto& left : split_lines(quai({"ps", "-aq"}).out)) {
      auto removed = quai({"rm", "-f", left});
      EXPECT_EQ(removed.exit_code, 0) << "trial " << trial << ": " << removed.both();
    }
  }
  EXPECT_EQ(entries(root() + "/networks/" + id + "/ips"), std::vector<std::string>{})
      << "claims left";
  auto forwarded = run({"nft", "list", "ruleset"});
  EXPECT_FALSE(contains(forwarded.out, "18082")) << forwarded.out;
  EXPECT_TRUE(eventually([&] {
    return run({"sh", "-c", "ip -o link show | grep -c ': qv' || true"}).out == "0\n";
  })) << "veths left";
  EXPECT_TRUE(eventually([&] { return leftovers().empty(); }))
      << ::testing::PrintToString(leftovers());
}

TEST_F(QuaiNetwork, AddHostAndDnsFlagsShapeEtcHostsAndResolvConf) {
  create_network("front", "10.222.0.0/24");
  auto shaped =
      quai({"run", "--rm", "--network", "front", "--add-host", "db.local:10.9.8.7", "--add-host",
            "gw:host-gateway", "--dns", "192.0.2.53", "--dns-search", "corp.example",
            "--dns-option", "ndots:2", "busybox", "cat", "/etc/hosts", "/etc/resolv.conf"});
  ASSERT_EQ(shaped.exit_code, 0) << shaped.both();
  EXPECT_TRUE(contains(shaped.out, "ff02::2\tip6-allrouters\n10.9.8.7\tdb.local\n10.222.0.1\tgw\n"))
      << "after Docker's defaults, before the container's own line: " << shaped.out;
  EXPECT_TRUE(contains(shaped.out, "nameserver 192.0.2.53\nsearch corp.example\noptions ndots:2\n"))
      << shaped.out;
  auto plain = quai({"run", "--rm", "--network", "none", "busybox", "cat", "/etc/resolv.conf"});
  EXPECT_TRUE(contains(plain.out, "nameserver ")) << plain.out;
  EXPECT_FALSE(contains(plain.out, "nameserver 127.")) << "the host's loopback: " << plain.out;
  auto bad = quai({"run", "--rm", "--add-host", "nocolon", "busybox", "true"});
  EXPECT_EQ(bad.err,
            "quai: error: invalid argument \"nocolon\" for \"--add-host\" flag: bad format for "
            "add-host: \"nocolon\"\n");
  auto dns = quai({"run", "--rm", "--dns", "resolver", "busybox", "true"});
  EXPECT_EQ(dns.err,
            "quai: error: invalid argument \"resolver\" for \"--dns\" flag: resolver is not an ip "
            "address\n");
}

TEST_F(QuaiNetwork, ARunningContainerConnectsToAnotherNetworkAndLeavesIt) {
  create_network("front", "10.223.0.0/24");
  std::string back = create_network("back", "10.224.0.0/24");
  std::string web =
      serve({"--name", "web", "--network", "back", "--ip", "10.224.0.10"}, "10.224.0.10");
  auto app = quai({"run", "-d", "--name", "app", "--network", "front", "busybox", "sleep", "60"});
  ASSERT_EQ(app.exit_code, 0) << app.both();
  auto before = quai({"exec", "app", "nc", "-w", "1", "10.224.0.10", "80"});
  EXPECT_NE(before.exit_code, 0) << "not on back yet: " << before.both();

  auto connected = quai({"network", "connect", "--alias", "api", "back", "app"});
  ASSERT_EQ(connected.exit_code, 0) << connected.both();
  auto addresses = quai({"exec", "app", "ip", "-4", "-o", "addr", "show", "eth1"});
  EXPECT_TRUE(contains(addresses.out, "inet 10.224.0.2/24")) << addresses.both();
  auto by_name = quai({"exec", "app", "wget", "-qO-", "http://web/hostname"});
  EXPECT_EQ(by_name.out, web.substr(0, 12) + "\n") << by_name.both();
  auto web_hosts = quai({"exec", "web", "cat", "/etc/hosts"});
  EXPECT_TRUE(contains(web_hosts.out, "10.224.0.2\tapp api\n")) << web_hosts.out;
  auto networks = quai({"inspect", "-f", "{{json .NetworkSettings.Networks}}", "app"});
  EXPECT_TRUE(contains(networks.out, "\"back\":{") && contains(networks.out, "\"front\":{"))
      << networks.out;
  auto again = quai({"network", "connect", "back", "app"});
  EXPECT_EQ(again.err, "quai: error: endpoint with name app already exists in network back\n");

  auto disconnected = quai({"network", "disconnect", "back", "app"});
  ASSERT_EQ(disconnected.exit_code, 0) << disconnected.both();
  auto gone = quai({"exec", "app", "ip", "link", "show", "eth1"});
  EXPECT_NE(gone.exit_code, 0) << gone.both();
  EXPECT_EQ(entries(root() + "/networks/" + back + "/ips"),
            std::vector<std::string>{"10.224.0.10"});
  web_hosts = quai({"exec", "web", "cat", "/etc/hosts"});
  EXPECT_FALSE(contains(web_hosts.out, "app")) << web_hosts.out;
  auto not_there = quai({"network", "disconnect", "back", "app"});
  EXPECT_TRUE(contains(not_there.err, "is not connected to network back")) << not_there.both();

  auto both = quai({"run", "--rm", "--network", "front", "--network", "back", "busybox", "ip", "-4",
                    "-o", "addr"});
  EXPECT_TRUE(contains(both.out, "eth0    inet 10.223.0.") &&
              contains(both.out, "eth1    inet 10.224.0."))
      << both.both();
}

TEST_F(QuaiNetwork, AContainerLeavesTheNetworkItWasCreatedOnAndComesBack) {
  std::string front = create_network("front", "10.225.0.0/24");
  create_network("back", "10.226.0.0/24");
  auto peer = quai({"run", "-d", "--name", "peer", "--network", "front", "busybox", "sleep", "60"});
  ASSERT_EQ(peer.exit_code, 0) << peer.both();
  auto app = quai({"run", "-d", "--name", "app", "--network", "front", "--network-alias", "api",
                   "busybox", "sleep", "60"});
  ASSERT_EQ(app.exit_code, 0) << app.both();
  ASSERT_EQ(quai({"network", "connect", "back", "app"}).exit_code, 0);
  EXPECT_TRUE(contains(quai({"exec", "peer", "cat", "/etc/hosts"}).out, "\tapp api\n"));

  auto left = quai({"network", "disconnect", "front", "app"});
  ASSERT_EQ(left.exit_code, 0) << left.both();
  auto addresses = quai({"exec", "app", "ip", "-4", "-o", "addr"});
  EXPECT_FALSE(contains(addresses.out, "10.225.0.")) << addresses.out;
  EXPECT_TRUE(contains(addresses.out, "inet 10.226.0.2/24")) << addresses.out;
  EXPECT_FALSE(contains(quai({"exec", "peer", "cat", "/etc/hosts"}).out, "app"));
  EXPECT_EQ(entries(root() + "/networks/" + front + "/ips"),
            std::vector<std::string>{"10.225.0.2"});
  // As in Docker: NetworkMode still names it, the networks joined do not.
  auto mode = quai({"inspect", "-f", "{{.HostConfig.NetworkMode}}", "app"});
  EXPECT_EQ(mode.out, "front\n");
  auto networks = quai({"inspect", "-f", "{{json .NetworkSettings.Networks}}", "app"});
  EXPECT_FALSE(contains(networks.out, "\"front\"")) << networks.out;
  auto twice = quai({"network", "disconnect", "front", "app"});
  EXPECT_TRUE(contains(twice.err, "is not connected to network front")) << twice.both();

  // A restart keeps it off front: its one network, back, is eth0 now.
  ASSERT_EQ(quai({"restart", "-t", "0", "app"}).exit_code, 0);
  addresses = quai({"exec", "app", "ip", "-4", "-o", "addr"});
  EXPECT_TRUE(contains(addresses.out, "eth0    inet 10.226.0.")) << addresses.out;
  EXPECT_FALSE(contains(addresses.out, "10.225.0.")) << addresses.out;

  auto back = quai({"network", "connect", "--alias", "again", "front", "app"});
  ASSERT_EQ(back.exit_code, 0) << back.both();
  EXPECT_TRUE(contains(quai({"exec", "peer", "cat", "/etc/hosts"}).out, "\tapp again\n"));
  auto reached = quai({"exec", "peer", "ping", "-c", "1", "-W", "2", "again"});
  EXPECT_EQ(reached.exit_code, 0) << reached.both();
}

// The rule, not a missing route: a container given a default route on an internal network
// still reaches nothing beyond it.
TEST_F(QuaiNetwork, AnInternalNetworkLetsNothingOut) {
  create_network("front", "10.217.0.0/24");
  auto made = quai({"network", "create", "--internal", "--subnet", "10.218.0.0/24", "sealed"});
  ASSERT_EQ(made.exit_code, 0) << made.both();
  serve({"--network", "front", "--ip", "10.217.0.10"}, "10.217.0.10");
  auto inside = quai({"run", "-d", "--name", "inside", "--network", "sealed", "busybox", "httpd",
                      "-f", "-p", "80", "-h", "/etc"});
  ASSERT_EQ(inside.exit_code, 0) << inside.both();
  auto out =
      quai({"run", "--rm", "--network", "sealed", "--cap-add", "NET_ADMIN", "busybox", "sh", "-c",
            "ip route add default via 10.218.0.1 && nc -w 2 10.217.0.10 80 </dev/null"});
  EXPECT_NE(out.exit_code, 0) << out.both();
  auto within = quai(
      {"run", "--rm", "--network", "sealed", "busybox", "wget", "-qO-", "http://inside/hostname"});
  EXPECT_EQ(within.exit_code, 0) << "inside the network, traffic flows: " << within.both();
}

}  // namespace
}  // namespace quai::test
