import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import "../../../../src/driver/qemu/index.js";
import { QemuDriver, goDuration } from "../../../../src/driver/qemu/qemu.js";
import { qmpExecute } from "../../../../src/driver/qemu/qmp.js";
import { lookupDriver } from "../../../../src/driver/registry.js";
import { configureLogger } from "../../../../src/log/logger.js";
import type { Instance } from "../../../../src/store/instance.js";
import { isAlive, readFileOr } from "../../../helpers/process.js";
import { firstOf } from "../../../../src/util/channel.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "qemu-drv-"));
after(() => {
  // A test that failed half-way must not leave its QEMU running: it would keep this file's
  // process alive until the runner's timeout, and eat the CPU of every test after it.
  for (const name of existsSync(tmp) ? readdirSync(tmp) : []) {
    // Only QEMU: one test writes this very process's pid into a qemu.pid.
    const pid = Number.parseInt(readFileOr(path.join(tmp, name, "qemu.pid")), 10);
    if (pid > 0 && readFileOr(`/proc/${pid}/cmdline`).includes("qemu-system")) process.kill(pid, "SIGKILL");
  }
  rmSync(tmp, { recursive: true, force: true });
});
const env = { ...process.env, LIMA_QEMU_ACCEL: "tcg" };
let counter = 0;

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An instance with nothing to boot: SeaBIOS under TCG, empty cidata. */
async function newInstance(status: Instance["status"] = "Stopped"): Promise<Instance> {
  const dir = path.join(tmp, `i${counter++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "cidata.iso"), new Uint8Array(2048));
  writeFileSync(path.join(dir, "lima-version"), "v2.2.0");
  return {
    name: path.basename(dir), hostname: `lima-${path.basename(dir)}`, status, dir, vmType: "qemu", arch: "x86_64",
    protected: false, limaVersion: "2.2.0", sshLocalPort: await freePort(),
    config: { vmType: "qemu", arch: "x86_64", cpus: 1, memory: "128MiB", disk: "64MiB", firmware: { legacyBIOS: true }, video: { display: "none" }, mounts: [] },
  };
}

async function configured(inst: Instance, stopTimeoutMs = 1500, powerdownRepeatMs?: number): Promise<QemuDriver> {
  const driver = new QemuDriver({ stopTimeoutMs, env, cacheDir: tmp, powerdownRepeatMs });
  await driver.configure(inst);
  return driver;
}

const pidOf = (inst: Instance): number => Number(readFileSync(path.join(inst.dir, "qemu.pid"), "utf8").trim());

describe("QemuDriver", () => {
  it("is registered as qemu and describes itself", async () => {
    const entry = lookupDriver("qemu");
    assert.equal(entry?.location, "internal");
    const driver = entry?.create();
    assert.ok(driver instanceof QemuDriver);
    assert.deepEqual((await driver.info()), {
      name: "qemu", vsockPort: 0, virtioPort: "",
      features: {
        canRunGui: false, dynamicSSHAddress: false, staticSSHPort: false, skipSocketForwarding: false, noCloudInit: false,
        rosettaEnabled: false, rosettaBinFmt: false, supportedImageFormats: ["qcow2", "raw", "vmdk", "vhdx"],
      },
    });
    assert.equal(await driver.forwardGuestAgent(), true);
  });

  it("fills QEMU defaults and validates mount types", async () => {
    const inst = await newInstance();
    const driver = await configured(inst);
    assert.equal(inst.config?.mountType, "9p");
    assert.equal(inst.config?.video?.vnc?.display, "127.0.0.1:0,to=9");
    assert.equal((await driver.info()).instanceDir, inst.dir);
    assert.equal(await driver.inspectStatus(), "");
    assert.equal(await driver.sshAddress(), "127.0.0.1");
    await driver.validate();
    const bad = await newInstance();
    bad.config = { ...bad.config, mountType: "wsl2" };
    await assert.rejects(configured(bad), /field `mountType` must be one of \[reverse-sshfs 9p virtiofs\] for QEMU driver on Linux, got `wsl2`/);
    const old = await newInstance();
    writeFileSync(path.join(old.dir, "lima-version"), "v0.23.2");
    await configured(old);
    assert.equal(old.config?.mountType, "reverse-sshfs");
    const unsupported = await newInstance();
    unsupported.config = { ...unsupported.config, mountTypesUnsupported: ["9p"] };
    await configured(unsupported);
    assert.equal(unsupported.config?.mountType, "reverse-sshfs");
    const noBinary = await newInstance();
    noBinary.config = { ...noBinary.config, arch: "riscv64" };
    const d = new QemuDriver({ env: { PATH: "/nonexistent" } });
    await d.configure(noBinary);
    await assert.rejects(d.validate(), /failed to find the QEMU binary for the architecture `riscv64`: exec: "qemu-system-riscv64": executable file not found in \$PATH/);
  });

  it("starts QEMU, waits for qemu.pid, and kills it when the power button is ignored", async () => {
    const inst = await newInstance();
    const driver = await configured(inst);
    writeFileSync(path.join(inst.dir, "serial.log"), "stale");
    const vm = await driver.start();
    const pid = pidOf(inst);
    assert.ok(isAlive(pid));
    assert.notEqual(readFileSync(path.join(inst.dir, "serial.log"), "utf8"), "stale");
    const status = (await qmpExecute(path.join(inst.dir, "qmp.sock"), "query-status")) as { status: string };
    assert.equal(status.status, "running");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    assert.ok(cmdline.includes(`user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:${inst.sshLocalPort}-:22`));
    assert.ok(cmdline.includes("-virtfs") === false);
    // its own process group
    const pgid = Number(execFileSync("ps", ["-o", "pgid=", "-p", String(pid)], { encoding: "utf8" }).trim());
    assert.equal(pgid, pid);
    const started = Date.now();
    await driver.stop(); // nothing in the guest handles ACPI: times out, then SIGKILL
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1400 && elapsed < 10_000, `stop took ${elapsed}ms`);
    assert.equal(isAlive(pid), false);
    assert.equal(existsSync(path.join(inst.dir, "qemu.pid")), false);
    assert.equal(await firstOf(vm.errors), undefined);
  });

  it("presses the power button again while the guest ignores it (a booting guest misses it)", async () => {
    const logs: string[] = [];
    configureLogger({ write: (line) => void logs.push(line), level: "info", format: "text", isTTY: false });
    const inst = await newInstance();
    const driver = await configured(inst, 1500, 400);
    await driver.start();
    const pid = pidOf(inst);
    await driver.stop();
    assert.equal(isAlive(pid), false);
    const again = logs.filter((l) => l.includes("Sending QMP system_powerdown command again")).length;
    assert.ok(again >= 2, logs.join("\n"));
    assert.ok(logs.some((l) => l.includes("QEMU did not exit in 1.5s, forcibly killing QEMU")));
  });

  it("kills QEMU at once when asked to force the stop (the guest has not run yet)", async () => {
    const inst = await newInstance();
    const driver = await configured(inst, 60_000);
    const vm = await driver.start();
    const pid = pidOf(inst);
    const started = Date.now();
    await driver.stop({ force: true });
    assert.ok(Date.now() - started < 5_000);
    assert.equal(isAlive(pid), false);
    assert.equal(existsSync(path.join(inst.dir, "qemu.pid")), false);
    assert.equal(await firstOf(vm.errors), undefined);
  });

  it("kills QEMU at once when QMP is unreachable", async () => {
    const inst = await newInstance();
    const driver = await configured(inst, 60_000);
    await driver.start();
    const pid = pidOf(inst);
    rmSync(path.join(inst.dir, "qmp.sock"));
    const started = Date.now();
    await driver.stop();
    assert.ok(Date.now() - started < 5_000);
    assert.equal(isAlive(pid), false);
    assert.equal(existsSync(path.join(inst.dir, "qemu.pid")), false);
  });

  it("stops a QEMU it did not start, found through qemu.pid", async () => {
    const inst = await newInstance();
    await (await configured(inst)).start();
    const pid = pidOf(inst);
    const other = await configured(inst, 500);
    await other.stop();
    assert.equal(isAlive(pid), false);
    assert.equal(existsSync(path.join(inst.dir, "qemu.pid")), false);
  });

  it("reports an exit it did not ask for", async () => {
    const inst = await newInstance();
    const vm = await (await configured(inst)).start();
    process.kill(pidOf(inst), "SIGKILL");
    const err = await firstOf(vm.errors);
    assert.match(err?.message ?? "", /^QEMU exited unexpectedly \(signal: killed\)/);
  });

  it("fails to start when QEMU exits early, and refuses a running qemu.pid", async () => {
    const inst = await newInstance();
    rmSync(path.join(inst.dir, "cidata.iso"));
    // QEMU may write qemu.pid before it opens the missing drive: either way start() must fail.
    await assert.rejects(async () => (await configured(inst)).start(), /QEMU exited (before writing .*qemu\.pid|while starting).*\(exit status 1\).*cidata\.iso/s);
    const running = await newInstance();
    writeFileSync(path.join(running.dir, "qemu.pid"), `${process.pid}\n`);
    await assert.rejects(async () => (await configured(running)).start(), /QEMU is already running for this instance/);
  });

  it("creates the disk from the image and takes snapshots offline and online", async () => {
    const inst = await newInstance();
    execFileSync("qemu-img", ["create", "-f", "qcow2", path.join(inst.dir, "image"), "32M"]);
    const driver = await configured(inst);
    await driver.createDisk();
    const info = JSON.parse(execFileSync("qemu-img", ["info", "--output=json", path.join(inst.dir, "disk")], { encoding: "utf8" })) as { "virtual-size": number };
    assert.equal(info["virtual-size"], 64 * 1024 * 1024);
    await driver.createSnapshot("offline1");
    assert.match(await driver.listSnapshots(), /ID\s+TAG[\s\S]*offline1/);
    await driver.applySnapshot("offline1");
    await driver.deleteSnapshot("offline1");
    assert.doesNotMatch(await driver.listSnapshots(), /offline1/);

    await driver.start();
    const running = await configured({ ...inst, status: "Running" });
    await running.createSnapshot("online1");
    assert.match(await running.listSnapshots(), /online1/);
    await running.deleteSnapshot("online1");
    assert.doesNotMatch(await running.listSnapshots(), /online1/);
    await driver.stop();
  });

  it("formats durations like Go", () => {
    assert.equal(goDuration(180_000), "3m0s");
    assert.equal(goDuration(1500), "1.5s");
    assert.equal(goDuration(200), "200ms");
  });
});
