import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CONFIG_CACHE_FILE, readCachedConfig, sameJSONValue, writeCachedConfig } from "../../../src/store/configcache.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "lima-configcache-"));
const file = path.join(dir, CONFIG_CACHE_FILE);

describe("filled-config cache file", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads back what was written, under the same key only", () => {
    writeCachedConfig(dir, "k1", { config: { cpus: 4, mounts: [{ location: "~" }] }, warnings: ["w"] });
    assert.deepEqual(readCachedConfig(dir, "k1"), { config: { cpus: 4, mounts: [{ location: "~" }] }, warnings: ["w"] });
    assert.equal(readCachedConfig(dir, "k2"), undefined);
  });

  it("does not store what JSON would change", () => {
    rmSync(file, { force: true });
    writeCachedConfig(dir, "k", { config: { cpus: Number.NaN }, warnings: [] });
    assert.equal(readCachedConfig(dir, "k"), undefined);
    writeCachedConfig(dir, "k", { config: { cpus: 2, memory: undefined }, warnings: [] });
    assert.deepEqual(readCachedConfig(dir, "k")?.config, { cpus: 2 });
  });

  it("treats a damaged file as a miss", () => {
    writeCachedConfig(dir, "k", { config: { cpus: 2 }, warnings: [] });
    const text = readFileSync(file, "utf8");
    for (const damaged of [text.slice(0, 10), "null", "[]", '{"key":"k","config":null,"warnings":[]}']) {
      writeFileSync(file, damaged);
      assert.equal(readCachedConfig(dir, "k"), undefined, damaged);
    }
  });

  it("compares like a JSON round trip does", () => {
    assert.ok(sameJSONValue({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }], c: undefined }));
    assert.ok(!sameJSONValue({ a: null }, { a: Number.POSITIVE_INFINITY }));
    assert.ok(!sameJSONValue([null], [undefined]));
    assert.ok(!sameJSONValue({ d: "1970-01-01T00:00:00.000Z" }, { d: new Date(0) }));
    assert.ok(!sameJSONValue({ a: 1 }, { a: 1, b: 2 }));
  });
});
