// The host agent under stress, with real guests: signals at awkward moments, failures inside the
// readiness checks, and an essential boot step (the nerdctl archive) that cannot succeed.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureGuestImage, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LIMACTL, LimaHome, type RunResult } from "../helpers/limactl.js";
import { isAlive, pidFromFile, waitUntil } from "../helpers/process.js";

const home = new LimaHome();
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-ha-"));
const BOOT_MS = 15 * 60_000;

const pidIn = (name: string, file: string): number => pidFromFile(path.join(home.dir, name, file));

function events(name: string): { status: { exiting?: boolean; running?: boolean; degraded?: boolean; errors?: string[] } }[] {
  return readFileSync(path.join(home.dir, name, "ha.stdout.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as ReturnType<typeof events>[number]);
}

/** `limactl start NAME` in the background; `result` once it exits. */
function startInBackground(name: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; result: Promise<RunResult> } {
  const child = spawn(LIMACTL, ["start", name], { env: { ...process.env, ...home.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const result = once(child, "close").then(([code]) => ({ code: (code as number | null) ?? 1, stdout, stderr }));
  return { child, result };
}

async function create(name: string, yaml?: string): Promise<void> {
  let locator = GUEST_TEMPLATE;
  if (yaml !== undefined) {
    locator = path.join(tmp, `${name}.yaml`);
    writeFileSync(locator, `base: ${GUEST_TEMPLATE}\n${yaml}`);
  }
  const res = await home.limactl(["create", "--name", name, locator]);
  assert.equal(res.code, 0, res.stderr);
}

/**
 * A `qemu-system-x86_64` first in PATH that records its pid (QEMU keeps it: exec) and pauses
 * before exec'ing the real QEMU, so that a signal surely arrives during the driver's start.
 */
function slowQemuPath(marker: string): string {
  const dir = path.join(tmp, "slow-qemu");
  mkdirSync(dir, { recursive: true });
  const real = execFileSync("sh", ["-c", "command -v qemu-system-x86_64"], { encoding: "utf8" }).trim();
  const wrapper = path.join(dir, "qemu-system-x86_64");
  writeFileSync(wrapper, `#!/bin/sh\ncase "$*" in *-pidfile*) echo $$ >'${marker}'; sleep 3 ;; esac\nexec '${real}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return `${dir}:${process.env.PATH ?? ""}`;
}

describe("the host agent", { timeout: 60 * 60_000 }, () => {
  before(() => ensureGuestImage());
  after(async () => {
    for (const name of ["sig", "boot", "probe", "nerd", "nerdmiss"]) await home.limactl(["delete", "-f", name]);
    home.cleanup();
  });

  it("SIGTERM during the driver's start: QEMU is killed at once, `exiting` is reported", async () => {
    await create("sig");
    const marker = path.join(tmp, "qemu-started");
    const start = startInBackground("sig", { PATH: slowQemuPath(marker) });
    await waitUntil("QEMU to be spawned", () => existsSync(marker) && readFileSync(marker, "utf8").trim() !== "", 120_000);
    const qemu = Number.parseInt(readFileSync(marker, "utf8"), 10);
    const ha = pidIn("sig", "ha.pid");
    const sent = Date.now();
    process.kill(ha, "SIGTERM");
    await waitUntil("the host agent to exit", () => !isAlive(ha), 60_000);
    const stopMs = Date.now() - sent;
    assert.equal(isAlive(qemu), false, "QEMU was orphaned");
    assert.equal(events("sig").at(-1)?.status.exiting, true);
    const res = await start.result;
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Received SIGTERM, shutting down the host agent[\s\S]*Killing QEMU: the guest has not run yet[\s\S]*exiting, status=/);
    console.log(`# SIGTERM during the driver's start: host agent gone ${stopMs} ms later`);
    assert.equal((await home.limactl(["ls", "--format", "{{.Status}}", "sig"])).stdout.trim(), "Stopped");
  });

  it("SIGTERM before the driver's start: no QEMU at all, `exiting` is reported", async () => {
    const marker = path.join(tmp, "qemu-started-early");
    const start = startInBackground("sig", { PATH: slowQemuPath(marker) });
    await waitUntil("the host agent's pid file", () => pidIn("sig", "ha.pid") > 0, 120_000);
    const ha = pidIn("sig", "ha.pid");
    process.kill(ha, "SIGTERM");
    await waitUntil("the host agent to exit", () => !isAlive(ha), 60_000);
    if (existsSync(marker)) assert.equal(isAlive(Number.parseInt(readFileSync(marker, "utf8"), 10)), false, "QEMU was orphaned");
    assert.equal(events("sig").at(-1)?.status.exiting, true);
    assert.equal((await start.result).code, 1);
  });

  it("SIGTERM while the guest boots: the power button is pressed again until QEMU is gone", async () => {
    await create("boot");
    const start = startInBackground("boot");
    await waitUntil("QEMU to start", () => pidIn("boot", "qemu.pid") > 0, 120_000);
    const qemu = pidIn("boot", "qemu.pid");
    const ha = pidIn("boot", "ha.pid");
    // Early in the boot: nothing in the guest listens to the power button yet.
    await new Promise((r) => setTimeout(r, 3000));
    const sent = Date.now();
    process.kill(ha, "SIGTERM");
    await waitUntil("the host agent to exit", () => !isAlive(ha), 5 * 60_000);
    const stopMs = Date.now() - sent;
    assert.equal(isAlive(qemu), false);
    // A guest that gets far enough in time (logind up) powers off cleanly; a slow one is killed.
    const log = readFileSync(path.join(home.dir, "boot", "ha.stderr.log"), "utf8");
    assert.match(log, /Sending QMP system_powerdown command again/);
    assert.equal(events("boot").at(-1)?.status.exiting, true);
    assert.equal((await start.result).code, 1);
    const clean = /reboot: Power down/.test(readFileSync(path.join(home.dir, "boot", "serial.log"), "utf8"));
    console.log(`# SIGTERM 3 s into the boot: QEMU gone after ${stopMs} ms (${clean ? "clean power-off" : "killed"})`);
  });

  it("a failure inside the readiness checks stops the VM and reports the reason", async () => {
    await create("probe", 'probes:\n- description: a probe whose interpreter line holds a NUL\n  script: "#!/bin/sh\\0\\ntrue\\n"\n');
    const res = await home.limactl(["start", "probe"], { timeoutMs: BOOT_MS });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /level=fatal msg="exiting, status=.*the readiness checks failed: .*null bytes/);
    const last = events("probe").at(-1)?.status;
    assert.equal(last?.exiting, true);
    assert.match(last?.errors?.join("\n") ?? "", /the readiness checks failed/);
    assert.equal(pidIn("probe", "ha.pid"), 0);
    assert.equal((await home.limactl(["ls", "--format", "{{.Status}}", "probe"])).stdout.trim(), "Stopped");
  });

  it("a nerdctl archive that does not exist fails the start at once, before booting", async () => {
    const missing = path.join(tmp, "no-such-nerdctl-full.tar.gz");
    await create("nerdmiss", `containerd:\n  user: true\n  archives:\n  - location: ${JSON.stringify(missing)}\n    arch: x86_64\n`);
    const began = Date.now();
    const res = await home.limactl(["start", "nerdmiss"]);
    const tookMs = Date.now() - began;
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`failed to download the nerdctl archive \\\\"${missing.replaceAll("/", "\\/").replaceAll(".", "\\.")}\\\\": no such file`));
    assert.match(res.stderr, /containerd\.system: false/);
    assert.ok(!existsSync(path.join(home.dir, "nerdmiss", "ha.stdout.log")), "no host agent was started");
    console.log(`# missing nerdctl archive: start failed after ${tookMs} ms`);
  });

  it("a nerdctl archive that is not one is handed to the guest, and fails the start as soon as its boot step fails", async () => {
    const src = path.join(tmp, "fake");
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, "README"), "not nerdctl\n");
    const fake = path.join(tmp, "fake-nerdctl-full.tar.gz");
    execFileSync("tar", ["-C", src, "-czf", fake, "README"]);
    await create("nerd", `containerd:\n  user: true\n  archives:\n  - location: ${JSON.stringify(fake)}\n    arch: x86_64\n`);
    const res = await home.limactl(["start", "nerd"], { timeoutMs: BOOT_MS });
    assert.equal(res.code, 1, res.stderr);
    // The archive reached the guest (not "missing"): tar could not find nerdctl in it.
    assert.match(res.stderr, /failed to satisfy the requirement \\"containerd binaries to be installed\\", and it cannot be satisfied any more/);
    assert.match(res.stderr, /40-install-containerd\.sh failed with exit status \d+; the last lines of its error output:\\n {2}tar: bin\/nerdctl: Not found in archive/);
    assert.match(res.stderr, /Fix `containerd\.archives` \(now \\"[^"]*fake-nerdctl-full\.tar\.gz\\"\)/);
    // Where to look next: the guest's boot log and the instance's serial log.
    assert.match(res.stderr, /\/var\/log\/cloud-init-output\.log\\" in the guest, and \\"[^"]*\/nerd\/serial\.log\\" on the host/);
    const times = readFileSync(path.join(home.dir, "nerd", "ha.stderr.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { msg: string; time: string });
    const at = (re: RegExp): number => Date.parse(times.find((t) => re.test(t.msg))?.time ?? "");
    const sshUp = at(/The essential requirements are satisfied/);
    const failed = at(/Waiting for the final requirement/);
    assert.ok(failed - sshUp < 60_000, `the failure was reported ${failed - sshUp} ms after SSH was up`);
    console.log(`# bad nerdctl archive: requirement failed ${failed - sshUp} ms after the essential requirements`);
    const stop = await home.limactl(["stop", "nerd"], { timeoutMs: 5 * 60_000 });
    assert.equal(stop.code, 0, stop.stderr);
  });
});
