import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, it } from "node:test";
import { TreeWatcher } from "../../../src/util/treewatch.js";

const EVENT_WAIT_MS = 5000;

describe("TreeWatcher", () => {
  let dir: string;
  let outside: string;
  let seen: string[];
  let watcher: TreeWatcher;

  /** Waits until `file` was reported. */
  async function reported(file: string): Promise<void> {
    const deadline = Date.now() + EVENT_WAIT_MS;
    while (!seen.includes(file)) {
      if (Date.now() > deadline) assert.fail(`${file} not reported; saw ${JSON.stringify(seen)}`);
      await sleep(10);
    }
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "treewatch ü-"));
    outside = mkdtempSync(path.join(os.tmpdir(), "treewatch-outside-"));
    seen = [];
    watcher = new TreeWatcher({ onChange: (f) => seen.push(f), onError: (d, err) => assert.fail(`${d}: ${err.message}`) });
  });
  afterEach(() => {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("takes one watch per directory, not per file, and reports writes and attribute changes deep down", async () => {
    mkdirSync(path.join(dir, "a", "b"), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(path.join(dir, "a", "b", `f${i}`), "");
    await watcher.add(dir);
    assert.equal(watcher.size, 3);
    writeFileSync(path.join(dir, "a", "b", "f3"), "x");
    await reported(path.join(dir, "a", "b", "f3"));
    utimesSync(path.join(dir, "a", "b", "f4"), new Date(1000), new Date(1000));
    await reported(path.join(dir, "a", "b", "f4"));
  });

  it("watches directories made (or moved in) after it started, and drops the watches of removed ones", async () => {
    await watcher.add(dir);
    mkdirSync(path.join(dir, "new"));
    await reported(path.join(dir, "new"));
    // The new directory is watched asynchronously: write until the file in it is seen.
    const deadline = Date.now() + EVENT_WAIT_MS;
    while (!seen.includes(path.join(dir, "new", "g")) && Date.now() < deadline) {
      writeFileSync(path.join(dir, "new", "g"), "y");
      await sleep(50);
    }
    await reported(path.join(dir, "new", "g"));
    mkdirSync(path.join(outside, "moved", "deep"), { recursive: true });
    rmSync(path.join(dir, "new"), { recursive: true });
    renameSync(path.join(outside, "moved"), path.join(dir, "moved"));
    await reported(path.join(dir, "moved"));
    while (watcher.size !== 3 && Date.now() < deadline) await sleep(10);
    assert.equal(watcher.size, 3, "the root, moved and moved/deep; not new");
    writeFileSync(path.join(dir, "moved", "deep", "h"), "z");
    await reported(path.join(dir, "moved", "deep", "h"));
  });

  it("does not follow a symlink to a directory out of the tree", async () => {
    symlinkSync(outside, path.join(dir, "link"));
    await watcher.add(dir);
    assert.equal(watcher.size, 1);
    writeFileSync(path.join(outside, "x"), "x");
    await sleep(200);
    assert.deepEqual(seen, []);
  });
});
