// The host side of copyToHost. The guest side (ssh, cat, sudo cat) runs in test/e2e/vm-provision.test.ts.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { deleteCopiesOnStop, writeFileNoFollow } from "../../../src/hostagent/copytohost.js";
import { configureLogger } from "../../../src/log/logger.js";

describe("copyToHost on the host", () => {
  it("writes a new file 0600 and refuses to write through a symlink planted at the destination", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "c2h-"));
    const file = path.join(dir, "kubeconfig.yaml");
    writeFileNoFollow(file, Buffer.from("a: 1\n"));
    assert.equal(readFileSync(file, "utf8"), "a: 1\n");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const victim = path.join(dir, "authorized_keys");
    writeFileSync(victim, "keep\n");
    const planted = path.join(dir, "planted");
    symlinkSync(victim, planted);
    assert.throws(() => writeFileNoFollow(planted, Buffer.from("evil\n")), { code: "ELOOP" });
    assert.equal(readFileSync(victim, "utf8"), "keep\n");
  });

  it("deletes at stop only the copies with deleteOnStop", () => {
    configureLogger({ write: () => undefined, level: "info", format: "text", isTTY: false });
    const dir = mkdtempSync(path.join(os.tmpdir(), "c2h-"));
    const [keep, drop, missing] = ["keep", "drop", "missing"].map((n) => path.join(dir, n)) as [string, string, string];
    writeFileSync(keep, "");
    writeFileSync(drop, "");
    const errors = deleteCopiesOnStop([
      { guest: "/a", host: keep },
      { guest: "/b", host: drop, deleteOnStop: true },
      { guest: "/c", host: missing, deleteOnStop: true },
    ]);
    assert.deepEqual(errors, []);
    assert.deepEqual([existsSync(keep), existsSync(drop)], [true, false]);
  });
});
