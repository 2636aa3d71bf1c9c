import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { compactStatus, eventLine, LineFollower, parseEvent } from "../../../src/hostagent/events.js";

describe("host agent events", () => {
  it("omit empty fields and keep Lima's key order", () => {
    assert.deepEqual(compactStatus({ running: false, sshLocalPort: 0, errors: [] }), {});
    const line = eventLine({ sshLocalPort: 60022, running: true }, new Date("2026-08-21T01:00:00.123Z"));
    assert.match(line, /^\{"time":"2026-08-21T\d\d:00:00\.123[^"]*","status":\{"running":true,"sshLocalPort":60022\}\}\n$/);
    assert.deepEqual(parseEvent(line.trim()).status, { running: true, sshLocalPort: 60022 });
  });
  it("follow a growing file line by line, optionally from its end", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "ev-")), "log");
    const follower = new LineFollower(file);
    assert.deepEqual(follower.poll(), []);
    writeFileSync(file, "a\nb");
    assert.deepEqual(follower.poll(), ["a"]);
    appendFileSync(file, "\nc\n");
    assert.deepEqual(follower.poll(), ["b", "c"]);
    const late = new LineFollower(file, true);
    appendFileSync(file, "d\n");
    assert.deepEqual(late.poll(), ["d"]);
    follower.close();
    late.close();
  });
  it("follow a file replaced by a new one (a new start) from the new file's top, even a longer one", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "ev-")), "log");
    const follower = new LineFollower(file);
    writeFileSync(file, "old\n");
    assert.deepEqual(follower.poll(), ["old"]);
    // The old file's inode number may be reused for the new file once nothing holds it.
    rmSync(file);
    writeFileSync(file, "first of the new start\nsecond\n");
    assert.deepEqual(follower.poll(), ["first of the new start", "second"]);
    follower.close();
  });
});
