// limactl tunnel, watch, debug dns, guest-install, sudoers, autostart and start-at-login without a
// VM: their errors, the systemd user unit (with a stand-in systemctl: no systemd runs here), watch
// on a synthetic ha.stdout.log, and debug dns queried by dig. The VM parts are in vm-portfwd.test.ts.
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { freeTCPPort } from "../../src/hostagent/hostagent.js";
import { LIMACTL, LimaHome, REPO } from "../helpers/limactl.js";
import { waitUntil } from "../helpers/process.js";

const home = new LimaHome();
const NAME = "tools";
const NOT_SUPPORTED = "autostart is not supported on linux";
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-tools-"));
const execFileP = promisify(execFile);

/** A limactl that keeps running (watch, debug dns), with its output collected. */
class Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  stderr = "";

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(LIMACTL, args, { env: { ...process.env, ...home.env, ...env } });
    this.child.stdout.on("data", (d: Buffer) => {
      this.stdout += d.toString();
    });
    this.child.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  /** Stops it as Ctrl-C does; resolves with the exit code. */
  interrupt(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.on("exit", (code) => resolve(code)));
    this.child.kill("SIGINT");
    return exited;
  }
}

const event = (time: Date, status: Record<string, unknown>): string => `${JSON.stringify({ time: time.toISOString(), status })}\n`;

after(() => {
  home.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

before(async () => {
  const res = await home.limactl(["create", "--name", NAME, "-"], { input: "{images: [{location: /etc/profile}]}\n" });
  assert.equal(res.code, 0, res.stderr);
});

describe("sudoers, tunnel and guest-install on Linux", () => {
  it("sudoers answers as Lima on Linux: macOS only", async () => {
    const res = await home.limactl(["sudoers"]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /sudoers command is only supported on macOS right now/);
  });

  for (const [what, args, expected] of [
    ["an unknown type", ["tunnel", "--type", "l2tp", NAME], /unknown tunnel type: `l2tp`/],
    ["a privileged port", ["tunnel", "--socks-port", "1023", NAME], /invalid socks port 1023/],
    ["a missing instance", ["tunnel", "nope"], /instance `nope` does not exist, run `limactl create nope` to create a new instance/],
    ["a stopped instance", ["tunnel", NAME], /instance `tools` is stopped, run `limactl start tools` to start the instance/],
    ["flags after the instance (Lima parses none there)", ["tunnel", NAME, "--socks-port", "2000"], /`limactl tunnel` accepts 1 arg\(s\), received 3/],
  ] as const) {
    it(`tunnel refuses ${what}`, async () => {
      const res = await home.limactl([...args]);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, expected);
    });
  }

  it("guest-install refuses a stopped instance", async () => {
    const res = await home.limactl(["guest-install", NAME]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /instance `tools` is stopped, run `limactl start tools` to start the instance/);
  });
});

describe("autostart and start-at-login: a systemd user unit", () => {
  const config = path.join(tmp, "config");
  const bin = path.join(tmp, "bin");
  const calls = path.join(tmp, "systemctl.calls");
  const unit = path.join(config, "systemd", "user", `lima-vm@${NAME}.service`);
  /** systemd "runs" (its marker exists) and a stand-in systemctl records its arguments. */
  const systemd = (systemctlExit = 0): NodeJS.ProcessEnv => ({
    XDG_CONFIG_HOME: config,
    LIMA_TS_SYSTEMD_BOOTED_MARKER: tmp,
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    SYSTEMCTL_EXIT: String(systemctlExit),
  });
  const recorded = (): string[] => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []);

  before(() => {
    mkdirSync(bin);
    writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$*" >>${JSON.stringify(calls)}\nexit "$SYSTEMCTL_EXIT"\n`);
    chmodSync(path.join(bin, "systemctl"), 0o755);
  });

  it("without systemd, says autostart is not supported on linux, as Lima", async () => {
    const env = { XDG_CONFIG_HOME: config, LIMA_TS_SYSTEMD_BOOTED_MARKER: path.join(tmp, "absent") };
    const enable = await home.limactl(["autostart", "enable", NAME], { env });
    assert.equal(enable.code, 1);
    assert.match(enable.stderr, new RegExp(`failed to register instance \`tools\` to start at login: ${NOT_SUPPORTED}`));
    const disable = await home.limactl(["autostart", "disable", NAME], { env });
    assert.equal(disable.code, 1);
    assert.match(disable.stderr, new RegExp(`msg="${NOT_SUPPORTED}"`));
    const legacy = await home.limactl(["start-at-login", NAME], { env });
    assert.equal(legacy.code, 1);
    assert.match(legacy.stderr, /^Command "start-at-login" is deprecated, use "limactl autostart" instead\n/);
    assert.match(legacy.stderr, new RegExp(`failed to check if the autostart entry for instance \`tools\` is registered: ${NOT_SUPPORTED}`));
    assert.equal(existsSync(unit), false);
  });

  it("autostart enable writes lima-vm@INSTANCE.service in $XDG_CONFIG_HOME/systemd/user and runs systemctl --user enable", async () => {
    const res = await home.limactl(["autostart", "enable", NAME], { env: systemd() });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /Instance `tools` registered to start at login/);
    const text = readFileSync(unit, "utf8");
    assert.match(text, new RegExp(`^ExecStart=${process.execPath} ${path.join(REPO, "bin", "limactl")} start %i --foreground$`, "m"));
    assert.match(text, /^WorkingDirectory=%h$/m);
    assert.match(text, /^WantedBy=default.target$/m);
    assert.deepEqual(recorded(), [`--user enable lima-vm@${NAME}.service`]);
  });

  it("start-at-login updates it, and --enabled=false disables and removes it", async () => {
    const update = await home.limactl(["start-at-login", NAME], { env: systemd() });
    assert.equal(update.code, 0, update.stderr);
    assert.match(update.stderr, /The autostart entry for instance `tools` has been updated/);
    const off = await home.limactl(["start-at-login", "--enabled=false", NAME], { env: systemd() });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /The autostart entry for instance `tools` has been unregistered/);
    assert.equal(existsSync(unit), false);
    assert.deepEqual(recorded().slice(-2), [`--user enable lima-vm@${NAME}.service`, `--user disable lima-vm@${NAME}.service`]);
    const again = await home.limactl(["start-at-login", "--enabled=false", NAME], { env: systemd() });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /The autostart entry for instance `tools` is not registered/);
  });

  it("autostart disable removes it; a failing systemctl is reported with its exit status", async () => {
    const failing = await home.limactl(["autostart", "enable", NAME], { env: systemd(3) });
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /failed to register instance `tools` to start at login: exit status 3/);
    const disable = await home.limactl(["autostart", "disable", NAME], { env: systemd() });
    assert.equal(disable.code, 0, disable.stderr);
    assert.match(disable.stderr, /Instance `tools` unregistered from start at login/);
    assert.equal(existsSync(unit), false);
    const none = await home.limactl(["autostart", "disable", NAME], { env: systemd() });
    assert.match(none.stderr, /Instance `tools` is not registered for automatic startup/);
    const missing = await home.limactl(["autostart", "enable", "nope"], { env: systemd() });
    assert.match(missing.stderr, /instance \\"nope\\" not found/);
    const boot = await home.limactl(["autostart", "enable", "--condition=boot", NAME], { env: systemd() });
    assert.match(boot.stderr, /--condition=boot is only supported on macOS/);
  });
});

describe("delete and autostart", () => {
  it("deleting an instance disables and removes its unit, as Lima", async () => {
    const config = path.join(tmp, "config-delete");
    const bin = path.join(tmp, "bin-delete");
    const calls = path.join(tmp, "systemctl-delete.calls");
    mkdirSync(bin);
    writeFileSync(path.join(bin, "systemctl"), `#!/bin/sh\necho "$*" >>${JSON.stringify(calls)}\n`);
    chmodSync(path.join(bin, "systemctl"), 0o755);
    const env = { XDG_CONFIG_HOME: config, LIMA_TS_SYSTEMD_BOOTED_MARKER: tmp, PATH: `${bin}:${process.env.PATH ?? ""}` };
    const created = await home.limactl(["create", "--name", "gone", "-"], { input: "{images: [{location: /etc/profile}]}\n" });
    assert.equal(created.code, 0, created.stderr);
    const enable = await home.limactl(["autostart", "enable", "gone"], { env });
    assert.equal(enable.code, 0, enable.stderr);
    const unit = path.join(config, "systemd", "user", "lima-vm@gone.service");
    assert.equal(existsSync(unit), true);
    const deleted = await home.limactl(["delete", "gone"], { env });
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stderr, /The autostart entry for instance `gone` has been unregistered/);
    assert.equal(existsSync(unit), false);
    assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), ["--user enable lima-vm@gone.service", "--user disable lima-vm@gone.service"]);
  });
});

describe("watch", () => {
  const log = path.join(home.dir, NAME, "ha.stdout.log");

  it("follows ha.stdout.log: new events only, as text, until Ctrl-C", async () => {
    writeFileSync(log, event(new Date(Date.now() - 60_000), { running: true, sshLocalPort: 1111 }));
    const watch = new Running(["watch", NAME]);
    await waitUntil("watching", () => watch.stderr.includes("Watching for events..."), 20_000);
    const now = new Date();
    appendFileSync(log, event(now, { running: true, sshLocalPort: 2222 }));
    appendFileSync(log, event(now, { running: true, portForward: { type: "forwarding", protocol: "tcp", guestAddr: "127.0.0.1:80", hostAddr: "127.0.0.1:8080" } }));
    await waitUntil("events", () => watch.stdout.includes("forwarding tcp"), 10_000);
    assert.equal(await watch.interrupt(), 0);
    const stamp = now.toISOString().slice(0, 19).replace("T", " ");
    assert.equal(
      watch.stdout,
      [
        `${stamp} tools | running`,
        `${stamp} tools | ssh available on port 2222`,
        `${stamp} tools | running`,
        `${stamp} tools | forwarding tcp 127.0.0.1:80 to 127.0.0.1:8080`,
        "",
      ].join("\n"),
    );
    assert.match(watch.stderr, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Watching for events\.\.\.$/m);
  });

  it("--json --history: every event as {instance, event}; a recreated log (a new start) is read from its top", async () => {
    const old = new Date(Date.now() - 60_000);
    writeFileSync(log, event(old, { exiting: true }));
    const watch = new Running(["watch", "--json", "--history", NAME]);
    await waitUntil("the old event", () => watch.stdout.includes("exiting"), 20_000);
    rmSync(log);
    const now = new Date();
    writeFileSync(log, event(now, { running: true, degraded: true, errors: ["e"] }));
    await waitUntil("the new event", () => watch.stdout.includes("degraded"), 10_000);
    assert.equal(await watch.interrupt(), 0);
    assert.deepEqual(
      watch.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown),
      [
        { instance: NAME, event: { time: old.toISOString(), status: { exiting: true } } },
        { instance: NAME, event: { time: now.toISOString(), status: { running: true, degraded: true, errors: ["e"] } } },
      ],
    );
  });

  it("without instances named, watches every instance and new ones; a missing one is a warning", async () => {
    const watch = new Running(["watch", "--json"]);
    await waitUntil("watching", () => watch.stderr.includes("Watching for events..."), 20_000);
    const created = await home.limactl(["create", "--name", "later", "-"], { input: "{images: [{location: /etc/profile}]}\n" });
    assert.equal(created.code, 0, created.stderr);
    await waitUntil("the new instance", () => watch.stderr.includes("New instance detected: later"), 10_000);
    appendFileSync(path.join(home.dir, "later", "ha.stdout.log"), event(new Date(), { running: true }));
    await waitUntil("its event", () => watch.stdout.includes('"instance":"later"'), 10_000);
    assert.equal(await watch.interrupt(), 0);
    const missing = new Running(["watch", "nope"]);
    await waitUntil("the warning", () => missing.stderr.includes("Watching for events..."), 20_000);
    assert.equal(await missing.interrupt(), 0);
    assert.match(missing.stderr, /level=warning msg="Failed to inspect instance `nope`" error=/);
  });
});

describe("debug dns", () => {
  it("serves the host resolver on the given UDP and TCP ports of 127.0.0.1", async () => {
    const [udp, tcp] = [await freeTCPPort(), await freeTCPPort()];
    const dns = new Running(["debug", "dns", String(udp), String(tcp)]);
    try {
      await waitUntil("started", () => dns.stderr.includes("Started srv"), 20_000);
      assert.match(dns.stderr, new RegExp(`Started srv \\(UDP ${udp}, TCP ${tcp}\\)`));
      for (const transport of ["+notcp", "+tcp"]) {
        const port = transport === "+tcp" ? tcp : udp;
        const { stdout } = await execFileP("dig", ["@127.0.0.1", "-p", String(port), "+time=5", "+tries=1", "+short", transport, "localhost", "A"]);
        assert.equal(stdout.trim(), "127.0.0.1", `${transport}: ${stdout}`);
      }
    } finally {
      await dns.interrupt();
    }
  });
});
