// `limactl disk`, `limactl snapshot` on a stopped instance (qemu-img) and `limactl screenshot`
// errors through the real `bin/limactl`, with no VM: Lima's outputs, JSON and error texts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LimaHome, type RunResult } from "../helpers/limactl.js";

const home = new LimaHome();
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-disk-cli-"));
const disksDir = path.join(home.dir, "_disks");
const MiB = 1024 * 1024;

async function ok(args: string[], input?: string): Promise<RunResult> {
  const res = await home.limactl(args, { input });
  assert.equal(res.code, 0, `limactl ${args.join(" ")}: ${res.stderr}`);
  return res;
}

async function fails(args: string[], message: string): Promise<void> {
  const res = await home.limactl(args);
  assert.notEqual(res.code, 0, `limactl ${args.join(" ")} should fail: ${res.stdout}`);
  // logfmt escapes the quotes of the message
  const logged = message.replaceAll('"', '\\"');
  assert.ok(res.stderr.includes(logged), `limactl ${args.join(" ")}: expected ${JSON.stringify(logged)} in:\n${res.stderr}`);
}

interface DiskJSON {
  name: string;
  size: number;
  format: string;
  dir: string;
  instance: string;
  instanceDir: string;
  mountPoint: string;
}

async function disksJSON(...names: string[]): Promise<DiskJSON[]> {
  const res = await ok(["disk", "list", "--json", ...names]);
  return res.stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as DiskJSON);
}

function qemuImg(...args: string[]): string {
  const res = spawnSync("qemu-img", args, { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout;
}

/** An instance whose disk is a small qcow2 (no VM: create only prepares the disk). */
async function createInstance(name: string, extra = ""): Promise<void> {
  const image = path.join(tmp, `${name}.qcow2`);
  qemuImg("create", "-f", "qcow2", image, "16M");
  await ok(["create", "--name", name, "-"], `{images: [{location: ${JSON.stringify(image)}, arch: x86_64}], disk: 16MiB, containerd: {system: false, user: false}${extra}}\n`);
}

after(() => {
  home.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe("limactl disk", () => {
  it("without a sub-command prints its help on stdout and exits 0, as cobra does", async () => {
    const r = await home.limactl(["disk"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Lima disk management\n\nUsage:\n  limactl disk \[command\]\n/);
    assert.match(r.stdout, /\n  resize +Resize existing Lima disk\n/);
  });

  it("lists nothing, with Lima's hint, before any disk exists", async () => {
    const res = await ok(["disk", "ls"]);
    assert.equal(res.stdout, "NAME    SIZE    FORMAT    DIR    IN-USE-BY\n");
    assert.match(res.stderr, /No disk found\. Run `limactl disk create DISK --size SIZE` to create a disk\./);
  });

  it("creates qcow2 (the default) and raw disks, and lists them as a table and as JSON", async () => {
    const created = await ok(["disk", "create", "data", "--size", "64MiB"]);
    assert.match(created.stderr, /Creating qcow2 disk `data` with size 64MiB/);
    await ok(["disk", "create", "scratch", "--size=32M", "--format", "raw"]);
    assert.match(qemuImg("info", path.join(disksDir, "data", "datadisk")), /file format: qcow2/);
    assert.match(qemuImg("info", path.join(disksDir, "scratch", "datadisk")), /file format: raw/);
    const table = await ok(["disk", "list"]);
    const dir = (name: string): string => path.join(disksDir, name);
    const width = dir("scratch").length + 4;
    assert.equal(
      table.stdout,
      "NAME       SIZE     FORMAT    " + "DIR".padEnd(width) + "IN-USE-BY\n" +
        "data       64MiB    qcow2     " + dir("data").padEnd(width) + "\n" +
        "scratch    32MiB    raw       " + dir("scratch").padEnd(width) + "\n",
    );
    assert.deepEqual(await disksJSON("data"), [{ name: "data", size: 64 * MiB, format: "qcow2", dir: dir("data"), instance: "", instanceDir: "", mountPoint: "/mnt/lima-data" }]);
    const some = await ok(["disk", "ls", "--json", "scratch", "nope"]);
    assert.equal((JSON.parse(some.stdout) as DiskJSON).name, "scratch");
    assert.match(some.stderr, /No disk matching nope found\./);
  });

  it("refuses what Lima refuses when creating", async () => {
    await fails(["disk", "create", "data", "--size", "1G"], `disk \`data\` already exists (\`${path.join(disksDir, "data")}\`)`);
    await fails(["disk", "create", "other", "--size", "1G", "--format", "vmdk"], "disk format `vmdk` not supported, use `qcow2` or `raw` instead");
    await fails(["disk", "create", "other"], 'required flag(s) "size" not set');
    await fails(["disk", "create", "other", "--size", "lots"], "invalid size: 'lots'");
    await fails(["disk", "create", "../evil", "--size", "1G"], "identifier `../evil` must match");
    assert.equal(existsSync(path.join(disksDir, "other")), false);
  });

  it("grows a disk, and refuses to shrink it or to resize a missing one", async () => {
    const res = await ok(["disk", "resize", "data", "--size", "96MiB"]);
    assert.match(res.stderr, /Resized disk `data`/);
    assert.equal((await disksJSON("data"))[0]?.size, 96 * MiB);
    await fails(["disk", "resize", "data", "--size", "32MiB"], "specified size `32MiB` is less than the current disk size `96MiB`. Disk shrinking is currently unavailable");
    await fails(["disk", "resize", "nope", "--size", "1G"], "disk `nope` does not exists");
    await ok(["disk", "resize", "scratch", "--size", "40MiB"]);
    assert.equal((await disksJSON("scratch"))[0]?.size, 40 * MiB);
  });

  it("imports qcow2 and raw images as they are, and refuses other formats", async () => {
    const qcow2 = path.join(tmp, "in.qcow2");
    qemuImg("create", "-f", "qcow2", qcow2, "8M");
    const res = await ok(["disk", "import", "imported", qcow2]);
    assert.match(res.stderr, /Imported imported with size 8MiB/);
    const raw = path.join(tmp, "in.raw");
    writeFileSync(raw, Buffer.alloc(MiB));
    await ok(["disk", "import", "rawdisk", raw]);
    assert.deepEqual((await disksJSON("imported", "rawdisk")).map((d) => [d.name, d.format, d.size]), [["imported", "qcow2", 8 * MiB], ["rawdisk", "raw", MiB]]);
    const vmdk = path.join(tmp, "in.vmdk");
    qemuImg("create", "-f", "vmdk", vmdk, "8M");
    await fails(["disk", "import", "vm", vmdk], "disk format `vmdk` not supported, use `qcow2` or `raw` instead");
    await fails(["disk", "import", "imported", raw], "disk `imported` already exists");
    await fails(["disk", "import", "gone", path.join(tmp, "missing")], "no such file or directory");
    assert.equal(existsSync(path.join(disksDir, "vm")), false);
  });

  it("refuses to delete a disk in use or one a stopped instance names, unless forced", async () => {
    await createInstance("user", ", additionalDisks: [imported]");
    const skipped = await ok(["disk", "delete", "imported"]);
    assert.match(skipped.stderr, /Skipping deleting disk `imported`, disk is referenced by one or more non-running instances: \[`user`\]/);
    assert.match(skipped.stderr, /To delete anyway, run `limactl disk delete --force imported`/);
    assert.ok(existsSync(path.join(disksDir, "imported", "datadisk")));
    symlinkSync(path.join(home.dir, "user"), path.join(disksDir, "rawdisk", "in_use_by"));
    assert.deepEqual((await disksJSON("rawdisk")).map((d) => [d.instance, d.instanceDir]), [["user", path.join(home.dir, "user")]]);
    assert.match((await ok(["disk", "ls"])).stdout, /^rawdisk +1MiB +raw +\S+ +user$/m);
    await fails(["disk", "rm", "rawdisk"], "cannot delete disk `rawdisk` in use by instance `user`");
    const forced = await ok(["disk", "remove", "--force", "imported", "rawdisk", "nope"]);
    assert.match(forced.stderr, /Deleted `imported`/);
    assert.match(forced.stderr, /Ignoring non-existent disk `nope`/);
    assert.equal(existsSync(path.join(disksDir, "imported")), false);
    assert.equal(existsSync(path.join(disksDir, "rawdisk")), false);
  });

  it("unlocks a disk whose instance is stopped or gone, and leaves free disks alone", async () => {
    const lock = path.join(disksDir, "scratch", "in_use_by");
    symlinkSync(path.join(home.dir, "vanished"), lock);
    const gone = await ok(["disk", "unlock", "scratch", "nope"]);
    assert.match(gone.stderr, /Unlocked disk `scratch`/);
    assert.match(gone.stderr, /Ignoring non-existent disk `nope`/);
    assert.equal(existsSync(lock), false);
    symlinkSync(path.join(home.dir, "user"), lock);
    await ok(["disk", "unlock", "scratch"]);
    assert.throws(() => readlinkSync(lock));
    assert.match((await ok(["disk", "unlock", "scratch"])).stderr, /Ignoring unlocked disk `scratch`/);
  });

  it("lists a disk directory without a datadisk as an error, and deletes it as non-existent", async () => {
    mkdirSync(path.join(disksDir, "empty"));
    const res = await ok(["disk", "list"]);
    assert.match(res.stderr, /disk `empty` does not exist\?/);
    assert.doesNotMatch(res.stdout, /^empty/m);
  });
});

describe("limactl snapshot on a stopped instance (qemu-img)", () => {
  before(async () => {
    await createInstance("snap");
  });

  it("creates, lists, applies and deletes snapshots in the instance's disk", async () => {
    const created = await ok(["snapshot", "create", "snap", "--tag", "s1"]);
    assert.match(created.stderr, /`limactl snapshot` is experimental/);
    await ok(["snapshot", "save", "snap", "--tag", "s2"]);
    assert.match(qemuImg("snapshot", "-l", path.join(home.dir, "snap", "disk")), /\bs1\b[\s\S]*\bs2\b/);
    const list = await ok(["snapshot", "list", "snap"]);
    assert.match(list.stdout, /^ID +TAG +VM SIZE +DATE +VM CLOCK +ICOUNT$/m);
    assert.doesNotMatch(list.stdout, /Snapshot list:/);
    assert.equal((await ok(["snapshot", "ls", "snap", "--quiet"])).stdout, "s1\ns2\n");
    await ok(["snapshot", "apply", "snap", "--tag", "s1"]);
    await ok(["snapshot", "del", "snap", "--tag", "s1"]);
    assert.equal((await ok(["snapshot", "list", "snap", "-q"])).stdout, "s2\n");
    await ok(["snapshot", "delete", "snap", "--tag", "s2"]);
    assert.equal((await ok(["snapshot", "list", "snap", "-q"])).stdout, "");
  });

  it("gives Lima's errors", async () => {
    await fails(["snapshot", "create", "snap"], "expected tag");
    await fails(["snapshot", "apply", "snap", "--tag", "nope"], "nope");
    await fails(["snapshot", "list"], "requires at least 1 arg(s), only received 0");
    await fails(["snapshot", "list", "ghost"], "instance `ghost` does not exist");
  });
});

describe("limactl screenshot without a running instance", () => {
  it("refuses a stopped instance, as Lima", async () => {
    await fails(["screenshot", "snap"], 'instance "snap" is not running (status: Stopped)');
    await fails(["screenshot"], "accepts 1 arg(s), received 0");
  });
});
