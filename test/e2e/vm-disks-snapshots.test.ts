// One real guest (two boots) with an additional disk: the disk is attached and locked while the
// instance runs, formatted and mounted at /mnt/lima-<name>, keeps its data across a stop, a
// resize and a start, and its filesystem grows. Snapshots taken while running (QMP) and while
// stopped (qemu-img), and a screenshot once the instance has a (VNC) display.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { BOOT_MS, createAndStart, ensureGuestImage, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LimaHome, type RunResult } from "../helpers/limactl.js";

const home = new LimaHome();
const NAME = "disks";
const DISK = "data";
const MOUNT = `/mnt/lima-${DISK}`;
const MiB = 1024 * 1024;
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-vm-disks-"));

async function ok(args: string[]): Promise<RunResult> {
  const res = await home.limactl(args);
  assert.equal(res.code, 0, `limactl ${args.join(" ")}: ${res.stderr}`);
  return res;
}

async function guest(script: string): Promise<string> {
  return (await ok(["shell", NAME, "sh", "-c", script])).stdout;
}

async function diskOwner(): Promise<string> {
  const res = await ok(["disk", "list", "--json", DISK]);
  return (JSON.parse(res.stdout) as { instance: string }).instance;
}

async function snapshotTags(): Promise<string> {
  return (await ok(["snapshot", "list", NAME, "--quiet"])).stdout;
}

/** Size in bytes of the filesystem mounted at MOUNT. */
async function fsBytes(): Promise<number> {
  return Number((await guest(`df -B1 --output=size ${MOUNT} | tail -n 1`)).trim());
}

describe("additional disks and snapshots in a real guest", { timeout: 40 * 60_000 }, () => {
  let firstFsBytes = 0;

  before(async () => {
    ensureGuestImage();
    await ok(["disk", "create", DISK, "--size", "256MiB"]);
    const yaml = path.join(tmp, "disks.yaml");
    writeFileSync(yaml, `base: ${GUEST_TEMPLATE}\nadditionalDisks: [${DISK}]\n`);
    await createAndStart(home, NAME, yaml);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("attaches the disk locked by the instance, formatted and mounted, and writable", async () => {
    assert.equal(await diskOwner(), NAME);
    assert.equal((await guest(`findmnt -n -o FSTYPE,LABEL ${MOUNT}`)).trim().split(/\s+/).join(" "), "ext4 lima-data");
    await guest(`echo kept | sudo tee ${MOUNT}/file >/dev/null && sync`);
    firstFsBytes = await fsBytes();
    assert.ok(firstFsBytes > 200 * MiB && firstFsBytes < 256 * MiB, `fs size ${firstFsBytes}`);
  });

  it("refuses to delete, resize or unlock the disk while the instance runs", async () => {
    const del = await home.limactl(["disk", "delete", DISK]);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /cannot delete disk `data` in use by instance `disks`/);
    const resize = await home.limactl(["disk", "resize", DISK, "--size", "512MiB"]);
    assert.notEqual(resize.code, 0);
    assert.match(resize.stderr, /cannot resize disk `data` used by running instance `disks`\. Please stop the VM instance/);
    const unlock = await ok(["disk", "unlock", DISK]);
    assert.match(unlock.stderr, /Cannot unlock disk `data` used by running instance `disks`/);
    assert.equal(await diskOwner(), NAME);
  });

  it("has no screenshot without a display, with Lima's error", async () => {
    const res = await home.limactl(["screenshot", NAME, "-o", path.join(tmp, "none.png")]);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /screenshot failed: VM has no display configured/);
  });

  it("takes a snapshot of the running VM (QMP), and applying it undoes a change", async () => {
    await guest("echo before > ~/marker && sync");
    await ok(["snapshot", "create", NAME, "--tag", "live"]);
    assert.equal(await snapshotTags(), "live\n");
    assert.match((await ok(["snapshot", "list", NAME])).stdout, /^ID +TAG +VM SIZE +DATE +VM CLOCK +ICOUNT\n\S+ +live /m);
    await guest("echo after > ~/marker && sync");
    await ok(["snapshot", "apply", NAME, "--tag", "live"]);
    assert.equal((await guest("cat ~/marker")).trim(), "before");
    await ok(["snapshot", "delete", NAME, "--tag", "live"]);
    assert.equal(await snapshotTags(), "");
  });

  it("frees the disk at stop; it grows while stopped; snapshots of the stopped VM use qemu-img", async () => {
    await ok(["stop", NAME]);
    assert.equal(await diskOwner(), "");
    await ok(["disk", "resize", DISK, "--size", "512MiB"]);
    await ok(["snapshot", "create", NAME, "--tag", "cold"]);
    assert.equal(await snapshotTags(), "cold\n");
    await ok(["snapshot", "apply", NAME, "--tag", "cold"]);
    await ok(["snapshot", "delete", NAME, "--tag", "cold"]);
    assert.equal(await snapshotTags(), "");
  });

  it("keeps the data across the restart, grows the filesystem, and takes screenshots with a display", async () => {
    await ok(["edit", NAME, "--set", '.video.display = "vnc"']);
    const started = await home.limactl(["start", NAME], { timeoutMs: BOOT_MS });
    assert.equal(started.code, 0, started.stderr);
    assert.equal(await diskOwner(), NAME);
    assert.equal((await guest(`cat ${MOUNT}/file`)).trim(), "kept");
    const grown = await fsBytes();
    assert.ok(grown > firstFsBytes + 200 * MiB, `fs size ${firstFsBytes} -> ${grown}`);
    const png = path.join(tmp, "shot.png");
    await ok(["screenshot", NAME, "--output", png]);
    assert.deepEqual([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const bmp = path.join(tmp, "shot.bmp");
    await ok(["screenshot", NAME, "-o", bmp]);
    const data = readFileSync(bmp);
    assert.equal(data.subarray(0, 2).toString("latin1"), "BM");
    assert.equal(data.readUInt32LE(2), data.length);
  });
});
