import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  acceptableAsBaseDisk, createDisk, detectImageFormat, detectImageFormatFromHeader, ensureDisk, isISO9660, isISO9660Header,
  migrateDiskLayout, qemuImgInfo, resizeDisk, virtualSize,
} from "../../../../src/driver/qemu/disk.js";

const MiB = 1024 * 1024;
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "qemu-disk-"));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;
const newInstDir = (): string => {
  const dir = path.join(tmpRoot, `inst${counter++}`);
  execFileSync("mkdir", ["-p", dir]);
  return dir;
};
const qemuImg = (...args: string[]): string => execFileSync("qemu-img", args, { encoding: "utf8" });

function header(text: string, offset = 0): Uint8Array {
  const buf = new Uint8Array(0x9000);
  buf.set(Buffer.from(text, "latin1"), offset);
  return buf;
}

function writeISO(file: string): void {
  const buf = new Uint8Array(0x9000);
  buf.set([1], 0x8000);
  buf.set(Buffer.from("CD001", "latin1"), 0x8001);
  writeFileSync(file, buf);
}

describe("image format detection", () => {
  it("recognises magic bytes", () => {
    assert.equal(detectImageFormatFromHeader(header("QFI\xfb")), "qcow2");
    assert.equal(detectImageFormatFromHeader(header("KDMV")), "vmdk");
    assert.equal(detectImageFormatFromHeader(header("# Disk DescriptorFile\n")), "vmdk");
    assert.equal(detectImageFormatFromHeader(header("vhdxfile")), "vhdx");
    assert.equal(detectImageFormatFromHeader(header("anything")), "raw");
    assert.equal(detectImageFormatFromHeader(new Uint8Array(2)), "raw");
    assert.equal(isISO9660Header(header("CD001", 0x8001)), true);
    assert.equal(isISO9660Header(header("CD001", 0x8000)), false);
    assert.equal(isISO9660Header(new Uint8Array(100)), false);
  });

  it("detects files made by qemu-img", async () => {
    const dir = newInstDir();
    for (const format of ["qcow2", "raw", "vmdk", "vhdx"] as const) {
      const file = path.join(dir, `x.${format}`);
      qemuImg("create", "-f", format, file, "16M");
      assert.equal(await detectImageFormat(file), format);
      assert.equal(await virtualSize(file), 16 * MiB);
    }
    const iso = path.join(dir, "x.iso");
    writeISO(iso);
    assert.equal(await isISO9660(iso), true);
    assert.equal(await detectImageFormat(iso), "raw");
  });
});

describe("qemu-img info", () => {
  it("reports format and size, and refuses backing files", async () => {
    const dir = newInstDir();
    const base = path.join(dir, "base.qcow2");
    const overlay = path.join(dir, "overlay.qcow2");
    qemuImg("create", "-f", "qcow2", base, "8M");
    qemuImg("create", "-f", "qcow2", "-F", "qcow2", "-b", base, overlay);
    const info = await qemuImgInfo(base);
    assert.equal(info.format, "qcow2");
    assert.equal(info["virtual-size"], 8 * MiB);
    acceptableAsBaseDisk(info);
    assert.throws(() => acceptableAsBaseDisk({ filename: overlay, format: "qcow2", "backing-filename": base }), /must not have a backing file/);
    await assert.rejects(qemuImgInfo(path.join(dir, "missing")), /failed to run \[qemu-img info --output=json --force-share/);
  });
});

describe("ensureDisk", () => {
  it("renames image to disk and grows it to the configured size", async () => {
    const dir = newInstDir();
    qemuImg("create", "-f", "qcow2", path.join(dir, "image"), "16M");
    await ensureDisk(dir, 64 * MiB);
    assert.equal(existsSync(path.join(dir, "image")), false);
    assert.equal(await virtualSize(path.join(dir, "disk")), 64 * MiB);
    assert.equal((await qemuImgInfo(path.join(dir, "disk"))).format, "qcow2");
    await ensureDisk(dir, 64 * MiB); // idempotent
    assert.equal(await virtualSize(path.join(dir, "disk")), 64 * MiB);
  });

  it("keeps a raw image raw and grows it", async () => {
    const dir = newInstDir();
    qemuImg("create", "-f", "raw", path.join(dir, "image"), "4M");
    await ensureDisk(dir, 8 * MiB);
    assert.equal(statSync(path.join(dir, "disk")).size, 8 * MiB);
  });

  it("refuses to shrink", async () => {
    const dir = newInstDir();
    qemuImg("create", "-f", "qcow2", path.join(dir, "image"), "32M");
    await assert.rejects(ensureDisk(dir, 16 * MiB), { message: "disk shrinking is not supported" });
    assert.equal(await virtualSize(path.join(dir, "disk")), 32 * MiB);
  });

  it("moves an ISO to iso and creates an empty qcow2 disk", async () => {
    const dir = newInstDir();
    writeISO(path.join(dir, "image"));
    await createDisk(dir, 32 * MiB);
    assert.equal(await isISO9660(path.join(dir, "iso")), true);
    assert.equal(existsSync(path.join(dir, "image")), false);
    const info = await qemuImgInfo(path.join(dir, "disk"));
    assert.equal(info.format, "qcow2");
    assert.equal(info["virtual-size"], 32 * MiB);
  });

  it("refuses an image with a backing file", async () => {
    const dir = newInstDir();
    const base = path.join(dir, "base.qcow2");
    qemuImg("create", "-f", "qcow2", base, "8M");
    qemuImg("create", "-f", "qcow2", "-F", "qcow2", "-b", base, path.join(dir, "image"));
    await assert.rejects(createDisk(dir, 8 * MiB), /is not acceptable as a disk image: base disk .* must not have a backing file/);
    assert.equal(existsSync(path.join(dir, "disk")), false);
  });

  it("fails without image or disk", async () => {
    await assert.rejects(createDisk(newInstDir(), MiB), /ENOENT/);
  });

  it("does nothing for resize when there is no disk", async () => {
    await resizeDisk(newInstDir(), MiB);
  });
});

describe("legacy disk layout", () => {
  it("symlinks disk -> diffdisk and iso -> basedisk for an ISO base", async () => {
    const dir = newInstDir();
    writeISO(path.join(dir, "basedisk"));
    qemuImg("create", "-f", "qcow2", path.join(dir, "diffdisk"), "16M");
    await ensureDisk(dir, 16 * MiB);
    assert.ok(lstatSync(path.join(dir, "disk")).isSymbolicLink());
    assert.equal(readlinkSync(path.join(dir, "disk")), "diffdisk");
    assert.equal(readlinkSync(path.join(dir, "iso")), "basedisk");
  });

  it("leaves a qcow2 basedisk alone (it is the backing file of diffdisk)", async () => {
    const dir = newInstDir();
    qemuImg("create", "-f", "qcow2", path.join(dir, "basedisk"), "8M");
    qemuImg("create", "-f", "qcow2", "-F", "qcow2", "-b", path.join(dir, "basedisk"), path.join(dir, "diffdisk"), "16M");
    await migrateDiskLayout(dir);
    assert.equal(readlinkSync(path.join(dir, "disk")), "diffdisk");
    assert.equal(existsSync(path.join(dir, "iso")), false);
    await resizeDisk(dir, 24 * MiB);
    assert.equal(await virtualSize(path.join(dir, "diffdisk")), 24 * MiB);
  });
});
