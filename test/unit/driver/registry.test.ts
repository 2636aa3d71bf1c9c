// Discovery of external `lima-driver-<name>` programs as Lima's pkg/registry does it.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Driver } from "../../../src/driver/driver.js";
import { discoverExternalDrivers, driverNameOf } from "../../../src/driver/registry.js";

/** Another instance of the registry module (its state is per module instance). */
const FRESH_REGISTRY = (tag: string): string => `../../../src/driver/registry.js?${tag}`;
const root = mkdtempSync(path.join(os.tmpdir(), "lima-registry-"));
after(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string, mode = 0o755): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, "#!/bin/sh\n");
  chmodSync(p, mode);
  return p;
}

describe("driverNameOf", () => {
  it("takes lima-driver-<name>; .exe only on Windows, where it is required", () => {
    assert.equal(driverNameOf("/x/lima-driver-qemu", "linux"), "qemu");
    assert.equal(driverNameOf("/x/lima-driver-qemu.exe", "linux"), undefined);
    assert.equal(driverNameOf("/x/lima-driver-", "linux"), undefined);
    assert.equal(driverNameOf("/x/limadriver-qemu", "linux"), undefined);
    assert.equal(driverNameOf("C:\\x\\lima-driver-wsl.exe".replaceAll("\\", "/"), "win32"), "wsl");
    assert.equal(driverNameOf("/x/lima-driver-wsl", "win32"), undefined);
    assert.equal(driverNameOf("/x/lima-driver-.exe", "win32"), undefined);
    assert.equal(driverNameOf("/x/lima-driver-wsl.EXE", "win32"), undefined);
  });
});

describe("discoverExternalDrivers", () => {
  it("scans directories for executable lima-driver-<name> files, sorted; ignores the rest", () => {
    const a = file("d1/lima-driver-a");
    file("d1/lima-driver-b", 0o644);
    file("d1/lima-driver-c.exe");
    file("d1/other-tool");
    mkdirSync(path.join(root, "d1/lima-driver-dir"));
    const g = file("d1/lima-driver-g", 0o010);
    assert.deepEqual([...discoverExternalDrivers([path.join(root, "d1")])], [
      ["a", a],
      ["g", g],
    ]);
  });

  it("takes file entries directly, skips missing and non-executable ones; the first found wins", () => {
    const direct = file("files/lima-driver-a");
    const notExec = file("files/lima-driver-n", 0o600);
    file("d2/lima-driver-a");
    const other = file("d2/lima-driver-z");
    const found = discoverExternalDrivers([path.join(root, "missing"), notExec, direct, path.join(root, "d2")]);
    assert.deepEqual([...found], [
      ["a", direct],
      ["z", other],
    ]);
  });
});

describe("lookup", () => {
  it("internal names win over external programs; external ones are created by the factory", async () => {
    const dir = path.join(root, "lookup");
    const qemu = file("lookup/lima-driver-qemu");
    const ext = file("lookup/lima-driver-ext");
    const saved = process.env.LIMA_DRIVERS_PATH;
    process.env.LIMA_DRIVERS_PATH = dir;
    try {
      // A fresh registry (module state): discovery happens on its first lookup.
      const registry = (await import(FRESH_REGISTRY("lookup"))) as typeof import("../../../src/driver/registry.js");
      const internal = {} as Driver;
      registry.registerInternal({ name: "qemu", location: "internal", create: () => internal });
      const made: string[] = [];
      registry.setExternalDriverFactory((name, program) => {
        made.push(`${name}=${program}`);
        return {} as Driver;
      });
      assert.equal(registry.lookupDriver("qemu")?.location, "internal");
      assert.equal(registry.lookupDriver("qemu")?.create(), internal);
      assert.equal(registry.lookupDriver("ext")?.location, ext);
      registry.lookupDriver("ext")?.create();
      assert.deepEqual(made, [`ext=${ext}`]);
      assert.equal(registry.lookupDriver("nope"), undefined);
      assert.ok(registry.driverNames().includes("ext"));
      assert.equal(registry.allDrivers().filter((d) => d.name === "qemu").length, 1);
      assert.notEqual(registry.lookupDriver("qemu")?.location, qemu);
    } finally {
      process.env.LIMA_DRIVERS_PATH = saved;
    }
  });

  it("LIMA_TS_EXTERNAL_DRIVERS leaves the internal driver out, so the program of that name is used", async () => {
    const dir = path.join(root, "switch");
    const qemu = file("switch/lima-driver-qemu");
    const saved = { path: process.env.LIMA_DRIVERS_PATH, ext: process.env.LIMA_TS_EXTERNAL_DRIVERS };
    process.env.LIMA_DRIVERS_PATH = dir;
    process.env.LIMA_TS_EXTERNAL_DRIVERS = "vz, qemu";
    try {
      const registry = (await import(FRESH_REGISTRY("switch"))) as typeof import("../../../src/driver/registry.js");
      registry.registerInternal({ name: "qemu", location: "internal", create: () => ({}) as Driver });
      assert.equal(registry.lookupDriver("qemu")?.location, qemu);
    } finally {
      process.env.LIMA_DRIVERS_PATH = saved.path;
      if (saved.ext === undefined) delete process.env.LIMA_TS_EXTERNAL_DRIVERS;
      else process.env.LIMA_TS_EXTERNAL_DRIVERS = saved.ext;
    }
  });
});
