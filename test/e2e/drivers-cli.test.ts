// External drivers through `limactl`: a `lima-driver-hello` (the SDK example) on LIMA_DRIVERS_PATH
// is listed by `info` and `--list-drivers`, instances are created and listed with it (its server
// runs only while a command needs it), the internal QEMU driver can be switched off in favour of
// libexec/lima/lima-driver-qemu, and unknown names are refused with the known ones.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EXTERNAL_QEMU_ENV, LimaHome, REPO } from "../helpers/limactl.js";
import { driverProgram, HELLO_DRIVER, tsDriverProgram } from "../unit/driver/helpers.js";

const drivers = mkdtempSync(path.join(os.tmpdir(), "lima-drivers-"));
let home: LimaHome;
let hello = "";
let crashy = "";
const CRASHY_DRIVER = path.join(REPO, "test/e2e/fixtures/lima-driver-crashy.ts");
/** Driver server processes serving the instance directory `dir`. */
function driverProcessesOf(dir: string): string[] {
  const res = spawnSync("pgrep", ["-af", "--", `--inst-dir ${dir}$`], { encoding: "utf8" });
  return res.stdout.trim().split("\n").filter((l) => l !== "");
}

const IMAGE_ONLY = "{images: [{location: /etc/profile}], containerd: {system: false, user: false}}\n";

describe("external drivers through limactl", { timeout: 120_000 }, () => {
  before(async () => {
    hello = await tsDriverProgram(drivers, "hello", HELLO_DRIVER);
    crashy = await tsDriverProgram(drivers, "crashy", CRASHY_DRIVER);
    // Never opens its socket.
    driverProgram(drivers, "mute", "exec sleep 600");
    home = new LimaHome({ LIMA_DRIVERS_PATH: drivers });
  });
  after(() => {
    home.cleanup();
    rmSync(drivers, { recursive: true, force: true });
  });

  it("info lists the program found on LIMA_DRIVERS_PATH next to the internal QEMU driver", async () => {
    const res = await home.limactl(["info", "--yq", ".vmTypesEx"]);
    assert.equal(res.code, 0, res.stderr);
    // libexec/lima holds the project's own: lima-driver-qemu (shadowed by the internal one) and lima-driver-libvirt.
    assert.deepEqual(JSON.parse(res.stdout), {
      qemu: { location: "internal" },
      crashy: { location: crashy },
      hello: { location: hello },
      mute: { location: path.join(drivers, "lima-driver-mute") },
      libvirt: { location: path.join(REPO, "libexec", "lima", "lima-driver-libvirt") },
    });
  });

  it("create and start --list-drivers print both", async () => {
    for (const command of ["create", "start"]) {
      const res = await home.limactl([command, "--list-drivers"]);
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(res.stdout.trim().split("\n").sort(), ["crashy", "hello", "libvirt", "mute", "qemu"]);
    }
  });

  it("create --vm-type=hello configures the instance through the program, which does not outlive the command", async () => {
    const res = await home.limactl(["create", "--name", "h", "--vm-type=hello", "-"], { input: IMAGE_ONLY });
    assert.equal(res.code, 0, res.stderr);
    const dir = path.join(home.dir, "h");
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".drv.")), []);
    const list = await home.limactl(["list", "--json", "h"]);
    assert.equal(list.code, 0, list.stderr);
    const inst = JSON.parse(list.stdout) as { vmType: string; status: string };
    assert.equal(inst.vmType, "hello");
    // The status comes from `lima-driver-hello --inspect-status` ("" → the PID files).
    assert.equal(inst.status, "Stopped");
    // A driver without snapshots: Lima's error, and the server started for it goes too.
    const snap = await home.limactl(["snapshot", "create", "h", "--tag", "t"]);
    assert.notEqual(snap.code, 0);
    assert.match(snap.stderr, /unimplemented/);
    assert.deepEqual(driverProcessesOf(dir), []);
    const del = await home.limactl(["delete", "h"]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(existsSync(dir), false);
    // delete asks the driver to delete its resources: the server started for that must go too.
    assert.deepEqual(driverProcessesOf(dir), []);
  });

  /** Nothing of a failed start may block the next one. */
  function assertNothingLeft(dir: string): void {
    assert.deepEqual(readdirSync(dir).filter((f) => /\.(pid|sock)$/.test(f)), []);
    assert.deepEqual(driverProcessesOf(dir), []);
  }

  it("a driver that dies mid-start, or fails to boot: start names the program and its log, twice in a row", async () => {
    const res = await home.limactl(["create", "--name", "c", "--vm-type=crashy", "-"], { input: IMAGE_ONLY });
    assert.equal(res.code, 0, res.stderr);
    const dir = path.join(home.dir, "c");
    const log = path.join(dir, "driver.stderr.log");
    writeFileSync(path.join(dir, "crashy-mode"), "die\n");
    for (let attempt = 0; attempt < 2; attempt++) {
      const start = await home.limactl(["start", "c"], { timeoutMs: 60_000 });
      assert.notEqual(start.code, 0);
      assert.ok(start.stderr.includes(crashy) && start.stderr.includes(log), start.stderr);
      assert.match(start.stderr, /segfault in the hypervisor/);
      assertNothingLeft(dir);
    }
    writeFileSync(path.join(dir, "crashy-mode"), "fail\n");
    const start = await home.limactl(["start", "c"], { timeoutMs: 60_000 });
    assert.notEqual(start.code, 0);
    assert.match(start.stderr, /the hypervisor refused to boot/);
    assertNothingLeft(dir);
    const list = await home.limactl(["list", "--format", "{{.Status}}", "c"]);
    assert.equal(list.stdout.trim(), "Stopped");
  });

  it("a driver that never opens its socket: create gives up after 10 s naming the program and its log", async () => {
    const t0 = Date.now();
    const res = await home.limactl(["create", "--name", "m", "--vm-type=mute", "-"], { input: IMAGE_ONLY, timeoutMs: 60_000 });
    assert.notEqual(res.code, 0);
    // 10 s for --inspect-status (at create), 10 s for the socket.
    assert.ok(Date.now() - t0 < 40_000);
    assert.ok(res.stderr.includes(path.join(drivers, "lima-driver-mute")) && res.stderr.includes("driver.stderr.log"), res.stderr);
    assert.equal(existsSync(path.join(home.dir, "m")), false);
    assert.equal(spawnSync("pgrep", ["-f", "lima-driver-mute"]).status, 1, "the silent driver program was left running");
  });

  it("an unknown vmType is refused, naming the drivers there are", async () => {
    const res = await home.limactl(["create", "--name", "x", "--vm-type=nope", "-"], { input: IMAGE_ONLY });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /vmType `nope` is not a registered driver/);
  });

  it(`${Object.keys(EXTERNAL_QEMU_ENV)[0]}=qemu switches the internal driver off for libexec/lima/lima-driver-qemu`, async () => {
    const external = new LimaHome(EXTERNAL_QEMU_ENV);
    try {
      const res = await external.limactl(["info", "--yq", ".vmTypesEx.qemu.location"]);
      assert.equal(res.stdout.trim(), path.join(REPO, "libexec", "lima", "lima-driver-qemu"));
    } finally {
      external.cleanup();
    }
  });
});
