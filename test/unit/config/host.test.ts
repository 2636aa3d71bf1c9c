import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { existingLimaVersion, hostContext, zoneFromPath } from "../../../src/config/host.js";
import { VERSION } from "../../../src/version.js";

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "lima-host-"));
}

describe("existingLimaVersion", () => {
  it("is the current version for a directory that is not an instance yet", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "lima.yaml"), "");
    assert.equal(existingLimaVersion(dir), VERSION);
  });
  it("is undefined for an instance without lima-version (created before v0.20)", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "basedisk"), "");
    assert.equal(existingLimaVersion(dir), undefined);
  });
  it("is the trimmed content of lima-version", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "diffdisk"), "");
    writeFileSync(path.join(dir, "lima-version"), "1.2.3\n");
    assert.equal(existingLimaVersion(dir), "1.2.3");
  });
});

describe("zoneFromPath", () => {
  it("is the path relative to the zoneinfo root (the directory holding Etc/UTC)", () => {
    const root = path.join(tempDir(), "zoneinfo");
    mkdirSync(path.join(root, "Etc"), { recursive: true });
    mkdirSync(path.join(root, "America", "Argentina"), { recursive: true });
    writeFileSync(path.join(root, "Etc", "UTC"), "");
    assert.equal(zoneFromPath(path.join(root, "America", "Argentina", "Salta")), "America/Argentina/Salta");
  });
  it("is undefined outside a zoneinfo tree", () => assert.equal(zoneFromPath(path.join(tempDir(), "x")), undefined));
});

describe("hostContext", () => {
  it("derives Dir and Name from the file path", () => {
    const ctx = hostContext("/home/u/.lima/myvm/lima.yaml", "/home/u/.lima");
    assert.equal(ctx.instDir, "/home/u/.lima/myvm");
    assert.equal(ctx.instName, "myvm");
    assert.equal(ctx.limaHome, "/home/u/.lima");
    assert.ok(ctx.cpus >= 1);
    assert.ok(ctx.memoryBytes > 0);
    assert.equal(ctx.user.uid, os.userInfo().uid);
  });
  it("for a validate pseudo path, Dir is LIMA_HOME and Name its basename", () => {
    const ctx = hostContext("/home/u/.lima/default.yaml", "/home/u/.lima");
    assert.equal(ctx.instDir, "/home/u/.lima");
    assert.equal(ctx.instName, ".lima");
  });
});
