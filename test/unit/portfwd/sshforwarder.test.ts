// The SSH forwarder against real OpenSSH: a private sshd on a high port (run as the current user,
// temp host key, temp authorized_keys) with a ControlMaster as Lima's host agent keeps one.
// sshd is `$LIMA_TS_TEST_SSHD` or /usr/sbin/sshd; without one the live tests are skipped.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { forwardArgs, forwardSSH, type SSHTarget } from "../../../src/portfwd/sshforwarder.js";
import { PortForwarder } from "../../../src/portfwd/index.js";
import type { PortForwardEvent } from "../../../src/hostagent/events.js";

test("forwardArgs: Lima's -O forward/cancel command lines", () => {
  const target: SSHTarget = { sshArgs: ["-F", "/dev/null", "-o", "User=u"], address: "127.0.0.1", port: 60022 };
  assert.deepEqual(forwardArgs(target, "forward", "127.0.0.1:8080", "127.0.0.1:80", false), [
    "-F", "/dev/null", "-o", "User=u", "-T", "-O", "forward", "-L", "127.0.0.1:8080:127.0.0.1:80", "-N", "-f", "-p", "60022", "127.0.0.1", "--",
  ]);
  assert.deepEqual(forwardArgs(target, "cancel", "/h/sock", "/run/g.sock", true).slice(4, 9), ["-T", "-O", "cancel", "-R", "/run/g.sock:/h/sock"]);
});

const sshd = process.env.LIMA_TS_TEST_SSHD ?? "/usr/sbin/sshd";
const isRoot = process.getuid?.() === 0;
// A root sshd insists on its privilege-separation directory and user.
const rootSshdReady = (): boolean => existsSync("/run/sshd") && /^sshd:/m.test(readFileSync("/etc/passwd", "utf8"));
const skip = !existsSync(sshd) ? `no sshd at ${sshd}` : isRoot && !rootSshdReady() ? "a root sshd needs /run/sshd and the sshd user" : false;

describe("SSH forwarder with a real sshd", { skip }, () => {
  let tmp: string;
  let daemon: ChildProcess;
  let target: SSHTarget;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "portfwd-ssh-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(tmp, "host_key")]);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(tmp, "user")]);
    writeFileSync(path.join(tmp, "authorized_keys"), execFileSync("cat", [path.join(tmp, "user.pub")]));
    const port = await freePort();
    writeFileSync(
      path.join(tmp, "sshd_config"),
      [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${path.join(tmp, "host_key")}`,
        `AuthorizedKeysFile ${path.join(tmp, "authorized_keys")}`,
        `PidFile ${path.join(tmp, "sshd.pid")}`,
        "StrictModes no",
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "AllowTcpForwarding yes",
        "AllowStreamLocalForwarding yes",
        "StreamLocalBindUnlink yes",
        "",
      ].join("\n"),
    );
    daemon = spawn(sshd, ["-D", "-e", "-f", path.join(tmp, "sshd_config")], { stdio: "ignore" });
    await waitUntil(() => canConnect(port), 5000);
    const user = os.userInfo().username;
    target = {
      sshArgs: [
        "-F", "/dev/null",
        "-o", `IdentityFile=${path.join(tmp, "user")}`,
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
        "-o", `User=${user}`, "-o", "ControlMaster=auto", "-o", `ControlPath=${path.join(tmp, "ssh.sock")}`, "-o", "ControlPersist=yes",
      ],
      address: "127.0.0.1",
      port,
    };
    // The host agent's first SSH command starts the master; -O forward needs it.
    execFileSync("ssh", [...target.sshArgs, "-p", String(port), "127.0.0.1", "--", "true"], { stdio: "ignore" });
  });

  after(() => {
    try {
      execFileSync("ssh", [...target.sshArgs, "-O", "exit", "-p", String(target.port), "127.0.0.1"], { stdio: "ignore" });
    } catch {
      // no master
    }
    daemon?.kill();
    rmSync(tmp, { recursive: true, force: true });
  });

  test("dynamic TCP over -O forward/cancel, static rules, socket rules both ways", async () => {
    const echo = await tcpEcho({ port: 0, host: "127.0.0.1" });
    const hostPort = await freePort();
    const staticEcho = await tcpEcho({ port: 0, host: "127.0.0.1" });
    const staticHostPort = await freePort();
    const guestSock = path.join(tmp, "guest", "echo.sock");
    execFileSync("mkdir", ["-p", path.dirname(guestSock)]);
    const sockEcho = await tcpEcho({ path: guestSock });
    const hostSock = path.join(tmp, "inst", "sock", "fwd.sock");
    const reverseGuest = path.join(tmp, "guest", "reverse.sock");
    const hostSide = await tcpEcho({ path: path.join(tmp, "hostside.sock") });
    const events: PortForwardEvent[] = [];
    const pf = new PortForwarder({
      instDir: path.join(tmp, "inst"),
      instName: "inst",
      rules: [
        { guestPort: echo.port, hostPort, proto: "any" },
        { guestPort: staticEcho.port, hostPort: staticHostPort, static: true },
        { guestSocket: guestSock, hostSocket: hostSock },
        { guestSocket: reverseGuest, hostSocket: path.join(tmp, "hostside.sock"), reverse: true },
      ],
      sshLocalPort: target.port,
      sshArgs: target.sshArgs,
      useSSH: true,
      client: () => undefined,
      emit: (ev) => events.push(ev),
    });
    try {
      await pf.forwardStatic();
      assert.equal(await echoVia({ port: staticHostPort, host: "127.0.0.1" }, "static"), "static");

      await pf.forwardSockets();
      assert.equal(await echoVia({ path: hostSock }, "L socket"), "L socket");
      assert.equal(await echoVia({ path: reverseGuest }, "R socket"), "R socket");

      pf.handleEvent({ added_local_ports: [{ protocol: "tcp", ip: "127.0.0.1", port: echo.port }], removed_local_ports: [], errors: [] });
      await waitUntil(() => canConnect(hostPort), 5000);
      assert.deepEqual(events[0], { type: "forwarding", protocol: "tcp", guestAddr: `127.0.0.1:${echo.port}`, hostAddr: `127.0.0.1:${hostPort}` });
      assert.equal(await echoVia({ port: hostPort, host: "127.0.0.1" }, "dynamic"), "dynamic");

      pf.handleEvent({ added_local_ports: [], removed_local_ports: [{ protocol: "tcp", ip: "127.0.0.1", port: echo.port }], errors: [] });
      await waitUntil(async () => !(await canConnect(hostPort)), 5000);
      assert.equal(events[1]?.type, "stopping");

      await pf.close();
      assert.ok(!(await canConnect(staticHostPort)), "static forward cancelled at close");
      assert.ok(!existsSync(hostSock), "host socket removed at cancel");
      assert.ok(!existsSync(reverseGuest), "guest socket of the reverse forward removed at cancel");
    } finally {
      for (const s of [echo, staticEcho, sockEcho, hostSide]) s.close();
    }
  });

  test("a unix-socket forward refuses to replace a file that is not a socket", async () => {
    const file = path.join(tmp, "not-a-socket");
    writeFileSync(file, "keep me");
    await assert.rejects(forwardSSH(target, file, path.join(tmp, "nowhere.sock"), "forward", false));
    assert.ok(existsSync(file));
  });
});

function tcpEcho(where: { port: number; host: string } | { path: string }): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer((s) => s.pipe(s));
  return new Promise((resolve) =>
    srv.listen(where, () => {
      const addr = srv.address();
      resolve({ port: typeof addr === "object" && addr ? addr.port : 0, close: () => srv.close() });
    }),
  );
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function echoVia(options: net.NetConnectOpts, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(options, () => s.end(text));
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks).toString()));
    s.on("error", reject);
  });
}

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
