// loadInstanceConfig through the filled-config cache, as a bundled build runs it.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

const home = mkdtempSync(path.join(os.tmpdir(), "lima-store-"));
const dir = path.join(home, "a");
const cacheFile = path.join(dir, ".lima.yaml.filled.json");
const logged: string[] = [];

// What scripts/build.mjs defines; set before the modules load, as in the bundle.
(globalThis as Record<string, unknown>).__LIMA_TS_BUILD_ID__ = "unit-test-build";
process.env.LIMA_HOME = home;
const { loadInstanceConfig } = await import("../../../src/store/store.js");
const { configureLogger } = await import("../../../src/log/logger.js");

describe("loadInstanceConfig with the filled-config cache", () => {
  before(() => {
    mkdirSync(dir);
    writeFileSync(path.join(dir, "lima.yaml"), "images: [{location: /etc/profile}]\ncpus: 3\nbogus: 1\n");
    writeFileSync(path.join(dir, "disk"), "");
    writeFileSync(path.join(dir, "lima-version"), "2.2.0");
    configureLogger({ write: (line) => logged.push(line) });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it("fills defaults and stores the result beside lima.yaml", async () => {
    const config = await loadInstanceConfig("a");
    assert.equal(config.cpus, 3);
    assert.equal(config.vmType, "qemu");
    assert.equal(JSON.parse(readFileSync(cacheFile, "utf8")).config.cpus, 3);
  });

  it("uses the stored result while nothing changed, and repeats its warnings", async () => {
    const entry = JSON.parse(readFileSync(cacheFile, "utf8"));
    entry.config.cpus = 7;
    writeFileSync(cacheFile, JSON.stringify(entry));
    logged.length = 0;
    assert.equal((await loadInstanceConfig("a")).cpus, 7);
    assert.ok(logged.some((l) => l.includes("bogus")), logged.join(""));
  });

  it("loads again when lima.yaml changes, even to the same size", async () => {
    writeFileSync(path.join(dir, "lima.yaml"), "images: [{location: /etc/profile}]\ncpus: 4\nbogus: 1\n");
    assert.equal((await loadInstanceConfig("a")).cpus, 4);
  });

  it("loads again when the instance's Lima version changes", async () => {
    const entry = JSON.parse(readFileSync(cacheFile, "utf8"));
    entry.config.cpus = 9;
    writeFileSync(cacheFile, JSON.stringify(entry));
    writeFileSync(path.join(dir, "lima-version"), "2.1.0");
    assert.equal((await loadInstanceConfig("a")).cpus, 4);
  });
});
