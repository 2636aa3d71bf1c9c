// Two real guests on one user-v2 network (lima-ts's `limactl usernet` switch): they reach each
// other by address and by `lima-<name>.internal`, still reach the host, and the network's daemon
// lives exactly as long as an instance on it runs. The guests boot one after the other (2 cores).
// The test guest has no `ping` binary: an ICMP echo from a raw socket (python3, as root) stands in,
// and a TCP connection to the other guest's sshd (its banner read back) checks a stream.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createAndStart, ensureGuestImage, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LimaHome } from "../helpers/limactl.js";
import { ICMP_PING_PY } from "../helpers/icmp.js";
import { isAlive, waitUntil } from "../helpers/process.js";

const home = new LimaHome();
const NAMES = ["nv1", "nv2"] as const;
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-usernet-"));
const HOST_GREETING = "hello-from-the-host";
const SUBNET_PREFIX = "192.168.104.";

const hostServer = net.createServer((socket) => socket.end(`${HOST_GREETING}\n`));
let hostPort = 0;


async function guest(name: string, script: string): Promise<string> {
  const res = await home.limactl(["shell", name, "bash", "-c", script]);
  assert.equal(res.code, 0, `${name}: ${script}: ${res.stderr}`);
  return res.stdout.trim();
}

/** The address of the guest's user-v2 NIC (`lima0`, the first extra network's default name). */
async function usernetAddress(name: string): Promise<string> {
  const out = await guest(name, "ip -4 -o addr show dev lima0");
  const ip = /inet (\d+\.\d+\.\d+\.\d+)\/24/.exec(out)?.[1];
  assert.ok(ip, `no IPv4 address on lima0 of ${name}: ${out}`);
  return ip;
}

/** The first line a TCP server at host:port sends, read in the guest with bash's /dev/tcp. */
function readBanner(host: string, port: number): string {
  return `exec 3<>/dev/tcp/${host}/${port} && IFS= read -r -t 10 line <&3 && echo "$line"`;
}

const pidFile = (): string => path.join(home.dir, "_networks", "user-v2", "usernet_user-v2.pid");

function daemonPid(): number {
  return existsSync(pidFile()) ? Number(readFileSync(pidFile(), "utf8").trim()) : 0;
}

/** The daemon removes its pid file just before it exits. */
const EXIT_WAIT_MS = 5_000;

describe("two guests on a user-v2 network", { timeout: 40 * 60_000 }, () => {
  const ips = new Map<string, string>();

  before(async () => {
    ensureGuestImage();
    await new Promise<void>((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
    hostPort = (hostServer.address() as net.AddressInfo).port;
    const yaml = path.join(tmp, "usernet.yaml");
    writeFileSync(yaml, `base: ${GUEST_TEMPLATE}\nmemory: 1GiB\ncpus: 1\nnetworks:\n- lima: user-v2\n`);
    for (const name of NAMES) {
      await createAndStart(home, name, yaml);
      ips.set(name, await usernetAddress(name));
    }
  });
  after(async () => {
    for (const name of NAMES) await home.limactl(["delete", "-f", name]);
    hostServer.close();
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("gives each guest its own address on the network, remembered in leases.json", () => {
    const [a, b] = NAMES.map((n) => ips.get(n) ?? "");
    assert.ok(a?.startsWith(SUBNET_PREFIX) && b?.startsWith(SUBNET_PREFIX), `${a} ${b}`);
    assert.notEqual(a, b);
    const leases = JSON.parse(readFileSync(path.join(home.dir, "_networks", "user-v2", "leases.json"), "utf8")) as Record<string, string>;
    assert.deepEqual(Object.keys(leases).sort(), [a, b].sort());
  });

  it("each guest reaches the other by address and by lima-<name>.internal", async (t) => {
    for (const [self, other] of [[NAMES[0], NAMES[1]], [NAMES[1], NAMES[0]]] as const) {
      const otherIP = ips.get(other) ?? "";
      assert.match(await guest(self, readBanner(otherIP, 22)), /^SSH-2\.0-/);
      assert.equal((await guest(self, `getent hosts lima-${other}.internal`)).split(/\s+/)[0], otherIP);
      assert.match(await guest(self, readBanner(`lima-${other}.internal`, 22)), /^SSH-2\.0-/);
      const ss = await guest(self, `exec 3<>/dev/tcp/${otherIP}/22; IFS= read -r -t 10 line <&3; ss -tin dst ${otherIP}`);
      t.diagnostic(`${self} -> ${other} (${otherIP}) TCP rtt: ${/rtt:([\d.]+\/[\d.]+)/.exec(ss)?.[1] ?? "?"} ms`);
    }
  });

  it("each guest pings the other by lima-<name>.internal (ICMP echo)", async (t) => {
    for (const [self, other] of [[NAMES[0], NAMES[1]], [NAMES[1], NAMES[0]]] as const) {
      const res = await home.limactl(["shell", self, "sudo", "python3", "-", `lima-${other}.internal`], { input: ICMP_PING_PY });
      assert.equal(res.code, 0, res.stderr);
      const replies = res.stdout.trim().split("\n");
      assert.equal(replies.length, 3, res.stdout);
      for (const reply of replies) assert.match(reply, new RegExp(`^lima-${other}\\.internal ${(ips.get(other) ?? "").replaceAll(".", "\\.")} icmp_seq=\\d time=`));
      t.diagnostic(`${self} -> ${other}: ${replies.map((r) => /time=([\d.]+)/.exec(r)?.[1]).join(", ")} ms`);
    }
  });

  it("keeps the default route, DNS and the host on the slirp NIC", async () => {
    for (const name of NAMES) {
      assert.match(await guest(name, "ip route show default"), /via 192\.168\.5\.2 dev eth0/);
      assert.equal(await guest(name, readBanner("host.lima.internal", hostPort)), HOST_GREETING);
    }
  });

  it("runs the daemon while an instance uses the network, and stops it with the last one", async () => {
    const pid = daemonPid();
    assert.ok(pid > 0 && isAlive(pid), "usernet daemon running");
    let res = await home.limactl(["stop", NAMES[0]]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(daemonPid(), pid, "still running for the other instance");
    res = await home.limactl(["stop", NAMES[1]]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(daemonPid(), 0, "pid file removed");
    await waitUntil("the usernet daemon to exit", () => !isAlive(pid), EXIT_WAIT_MS);
    for (const name of NAMES) {
      res = await home.limactl(["delete", name]);
      assert.equal(res.code, 0, res.stderr);
    }
    assert.equal(existsSync(path.join(home.dir, "_networks", "user-v2", "user-v2_qemu.sock")), false);
  });
});
