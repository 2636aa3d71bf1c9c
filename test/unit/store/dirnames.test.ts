// Names become paths only through instanceDir/diskDir, which refuse anything that is not an
// identifier; disk locks are only released for the instance they name.
import assert from "node:assert/strict";
import { mkdirSync, readlinkSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { LimaYAML } from "../../../src/config/types.js";
import { diskDir, instanceDir } from "../../../src/store/dirnames.js";
import { disksLockedBy, lockDiskForInstance, releaseDiskLocks } from "../../../src/store/disk.js";
import { scratch, withEnv } from "../templates/helpers.js";

const PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";

describe("instanceDir and diskDir", () => {
  it("join a valid name to $LIMA_HOME", async () => {
    const home = scratch();
    await withEnv({ LIMA_HOME: home }, () => {
      assert.equal(instanceDir("dev-1.x"), path.join(home, "dev-1.x"));
      assert.equal(diskDir("data_2"), path.join(home, "_disks", "data_2"));
    });
  });

  it("refuse names that would leave their directory, with Lima's texts", () => {
    for (const name of ["../outside/victim", "a/b", "..", ".", "/etc", "a\\b", "_disks", ".hidden"]) {
      assert.throws(() => instanceDir(name), { message: `instance name \`${name}\` is not a valid identifier: identifier \`${name}\` must match ${PATTERN}` });
      assert.throws(() => diskDir(name), { message: `identifier \`${name}\` must match ${PATTERN}` });
    }
    assert.throws(() => instanceDir(""), { message: "instance name `` is not a valid identifier: identifier must not be empty" });
    assert.throws(() => instanceDir("dev.yaml"), { message: "instance name `dev.yaml` must not end with .yml or .yaml suffix" });
  });
});

describe("disk locks", () => {
  const config = (...names: string[]): LimaYAML => ({ additionalDisks: names.map((name) => ({ name })) }) as LimaYAML;

  it("lock, refuse another instance, renew for the same one", async () => {
    const home = scratch();
    await withEnv({ LIMA_HOME: home }, () => {
      mkdirSync(diskDir("data"), { recursive: true });
      lockDiskForInstance("data", instanceDir("a"));
      assert.throws(() => lockDiskForInstance("data", instanceDir("b")), { message: "in use by instance `a`" });
      lockDiskForInstance("data", instanceDir("a"));
      assert.equal(readlinkSync(path.join(diskDir("data"), "in_use_by")), instanceDir("a"));
      assert.deepEqual(disksLockedBy(config("data"), instanceDir("a")), ["data"]);
    });
  });

  it("release only the locks the instance holds, and never follow an invalid disk name", async () => {
    const home = scratch();
    await withEnv({ LIMA_HOME: home }, () => {
      for (const d of ["mine", "theirs"]) mkdirSync(diskDir(d), { recursive: true });
      lockDiskForInstance("mine", instanceDir("a"));
      lockDiskForInstance("theirs", instanceDir("b"));
      const outside = path.join(home, "outside");
      mkdirSync(outside);
      symlinkSync(instanceDir("a"), path.join(outside, "in_use_by"));
      const released = releaseDiskLocks({ dir: instanceDir("a"), config: config("mine", "theirs", "../../outside", "missing") });
      assert.deepEqual(released, ["mine"]);
      assert.throws(() => readlinkSync(path.join(diskDir("mine"), "in_use_by")), { code: "ENOENT" });
      assert.equal(readlinkSync(path.join(diskDir("theirs"), "in_use_by")), instanceDir("b"));
      assert.equal(readlinkSync(path.join(outside, "in_use_by")), instanceDir("a"));
    });
  });
});
