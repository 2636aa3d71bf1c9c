// `limactl network` on `_config/networks.yaml`, the `networks:` checks of lima.yaml on a Linux
// host, and the `limactl usernet` daemon (a switch between QEMU stream sockets) without a VM:
// two fake NICs connected to it exchange frames as two guests would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { LimaHome, LIMACTL } from "../helpers/limactl.js";
import { encodeFrame, FrameDecoder } from "../../src/networks/usernet/switch.js";

const home = new LimaHome();
after(() => home.cleanup());

const configFile = (): string => path.join(home.dir, "_config", "networks.yaml");

async function ok(args: string[], input?: string): Promise<string> {
  const res = await home.limactl(args, input === undefined ? {} : { input });
  assert.equal(res.code, 0, `${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

async function fails(args: string[], message: RegExp, input?: string): Promise<void> {
  const res = await home.limactl(args, input === undefined ? {} : { input });
  assert.equal(res.code, 1, `${args.join(" ")} should fail: ${res.stdout}`);
  assert.match(res.stderr, message);
}

describe("limactl network", () => {
  it("writes Lima's networks.yaml on first use and lists its networks", async () => {
    assert.equal(existsSync(configFile()), false);
    assert.equal(
      await ok(["network", "list"]),
      "NAME       MODE       GATEWAY             INTERFACE\n" +
        "bridged    bridged    -                   en0\n" +
        "host       host       192.168.106.1/24    -\n" +
        "shared     shared     192.168.105.1/24    -\n" +
        "user-v2    user-v2    192.168.104.1/24    -\n",
    );
    assert.match(readFileSync(configFile(), "utf8"), /^# Path to socket_vmnet executable\./);
    assert.equal(
      await ok(["network", "ls", "--json", "user-v2", "bridged"]),
      '{"name":"user-v2","mode":"user-v2","gateway":"192.168.104.1","netmask":"255.255.255.0"}\n{"name":"bridged","mode":"bridged","interface":"en0"}\n',
    );
    const res = await home.limactl(["network", "list", "nope"]);
    assert.equal(res.code, 0);
    assert.equal(res.stdout, "NAME    MODE    GATEWAY    INTERFACE\n");
    assert.match(res.stderr, /level=warning msg="No network matching nope found\."/);
  });

  it("creates networks with Lima's checks, keeping the file's comments", async () => {
    await ok(["network", "create", "foo", "--gateway", "192.168.42.1"]);
    await ok(["network", "create", "br", "--mode", "bridged", "--interface", "eth1"]);
    assert.equal(
      await ok(["network", "list", "foo", "br"]),
      "NAME    MODE       GATEWAY            INTERFACE\nfoo     user-v2    192.168.42.1/24    -\nbr      bridged    -                  eth1\n",
    );
    const text = readFileSync(configFile(), "utf8");
    assert.match(text, /# bridged mode doesn't have a gateway/);
    assert.match(text, /\n {2}foo:\n {4}mode: user-v2\n {4}gateway: 192\.168\.42\.1\n {4}netmask: 255\.255\.255\.0\n/);
    await fails(["network", "create", "foo", "--gateway", "192.168.43.1"], /network `foo` already exists/);
    await fails(["network", "create", "bar"], /network mode `user-v2` requires specifying gateway/);
    await fails(["network", "create", "bar", "--mode", "bridged"], /network mode `bridged` requires specifying interface/);
    await fails(["network", "create", "bar", "--gateway", "10.0.0.1/33"], /failed to parse CIDR `10\.0\.0\.1\/33`: invalid CIDR address: 10\.0\.0\.1\/33/);
    await fails(["network", "create"], /`limactl network create` accepts 1 arg\(s\), received 0/);
  });

  it("deletes networks only with --force", async () => {
    await fails(["network", "delete", "foo"], /`limactl network delete` currently always requires `--force`/);
    await ok(["network", "rm", "-f", "foo", "br"]);
    assert.doesNotMatch(await ok(["network", "list"]), /^(foo|br) /m);
  });
});

describe("networks: in lima.yaml on a Linux host", () => {
  const images = "images: [{location: /etc/profile}]\n";
  it("accepts user-v2 networks and socket paths", async () => {
    await ok(["create", "--tty=false", "--name=good", "-"], `${images}networks: [{lima: user-v2}, {socket: /nonexistent/vmnet.sock}]\n`);
    await ok(["delete", "good"]);
  });

  it("refuses socket_vmnet networks, unknown networks, non-sockets and the removed vnl as Lima does", async () => {
    const cases: [string, RegExp][] = [
      ["networks: [{lima: shared}]", /field `networks\[0\]\.lima` is only supported on macOS right now/],
      ["networks: [{lima: nope}]", /network `nope` is not defined/],
      ["networks: [{socket: /etc/passwd}]", /field `networks\[0\]\.socket` `\/etc\/passwd` points to a non-socket file/],
      ["networks: [{vnl: /tmp/vde.ctl}]", /field `networks\[0\]\.lima` or {2}field `networks\[0\]\.socket must be set/],
    ];
    for (const [yaml, message] of cases) {
      const res = await home.limactl(["create", "--tty=false", "--name=bad", "-"], { input: `${images}${yaml}\n` });
      assert.equal(res.code, 1, yaml);
      assert.match(res.stderr, message, yaml);
    }
    const vnl = await home.limactl(["create", "--tty=false", "--name=bad", "-"], { input: `${images}networks: [{vnl: /tmp/vde.ctl}]\n` });
    assert.match(vnl.stderr, /unknown field `networks\[0\]\.vnl`/);
  });
});

describe("limactl usernet", () => {
  it("switches frames between the QEMU connections and cleans up on SIGINT", async () => {
    const dir = path.join(home.dir, "_networks", "t");
    mkdirSync(dir, { recursive: true });
    const pidfile = path.join(dir, "usernet_t.pid");
    const qemuSock = path.join(dir, "t_qemu.sock");
    const epSock = path.join(dir, "t_ep.sock");
    const daemon = spawn(LIMACTL, ["usernet", "-p", pidfile, "-e", epSock, "--listen-qemu", qemuSock, "--subnet", "192.168.104.0/24", "--leases", "192.168.104.3=52:55:55:00:00:0a"], { stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => daemon.on("exit", (code) => resolve(code)));
    for (let i = 0; i < 100 && !existsSync(qemuSock); i++) await sleep(100);
    assert.equal(readFileSync(pidfile, "utf8"), `${daemon.pid}\n`);

    const connect = async (): Promise<{ socket: net.Socket; frames: Buffer[] }> => {
      const socket = net.createConnection(qemuSock);
      await new Promise((resolve) => socket.once("connect", resolve));
      const frames: Buffer[] = [];
      const decoder = new FrameDecoder();
      socket.on("data", (d: Buffer) => frames.push(...decoder.push(d)));
      return { socket, frames };
    };
    const a = await connect();
    const b = await connect();
    const macA = Buffer.from([0x52, 0x55, 0x55, 0, 0, 0x0a]);
    const macB = Buffer.from([0x52, 0x55, 0x55, 0, 0, 0x0b]);
    const arp = Buffer.concat([Buffer.alloc(6, 0xff), macA, Buffer.from([0x08, 0x06]), Buffer.from("who-has")]);
    const reply = Buffer.concat([macA, macB, Buffer.from([0x08, 0x06]), Buffer.from("is-at")]);
    a.socket.write(encodeFrame(arp));
    for (let i = 0; i < 50 && b.frames.length === 0; i++) await sleep(20);
    assert.deepEqual(b.frames, [arp], "broadcast reaches the other NIC");
    b.socket.write(encodeFrame(reply));
    for (let i = 0; i < 50 && a.frames.length === 0; i++) await sleep(20);
    assert.deepEqual(a.frames, [reply], "unicast reaches the learnt NIC");
    assert.equal(b.frames.length, 1, "no echo to the sender");

    const leases = await new Promise<string>((resolve, reject) => {
      http.get({ socketPath: epSock, path: "/services/dhcp/leases" }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(body));
      }).on("error", reject);
    });
    assert.deepEqual(JSON.parse(leases), { "192.168.104.3": "52:55:55:00:00:0a" });

    daemon.kill("SIGINT");
    assert.equal(await exited, 0);
    for (const file of [pidfile, qemuSock, epSock]) assert.equal(existsSync(file), false, file);
    a.socket.destroy();
    b.socket.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a pid file that exists, as Lima does", async () => {
    const res = await home.limactl(["usernet", "-p", configFile(), "--listen-qemu", path.join(home.dir, "q.sock")]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /pidfile `.*networks\.yaml` already exists/);
  });
});
