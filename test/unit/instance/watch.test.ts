import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { type Event, eventLine } from "../../../src/hostagent/events.js";
import { watchHostAgent } from "../../../src/instance/start.js";
import { configureLogger } from "../../../src/log/logger.js";
import type { Instance } from "../../../src/store/instance.js";

function instance(): Instance {
  const dir = mkdtempSync(path.join(os.tmpdir(), "watch-"));
  return { name: "w", hostname: "lima-w", status: "Running", dir, vmType: "qemu", arch: "x86_64", protected: false, limaVersion: "" };
}

describe("following the host agent's events", () => {
  it("skips lines of ha.stdout.log that are not events (debug log) and keeps following", async () => {
    const logs: string[] = [];
    configureLogger({ write: (line) => void logs.push(line), level: "debug", format: "text", isTTY: false });
    const inst = instance();
    const file = path.join(inst.dir, "ha.stdout.log");
    writeFileSync(file, `not json at all\n${eventLine({ sshLocalPort: 60022 })}{"time":"x","status":null}\n42\n`);
    const seen: Event[] = [];
    const watching = watchHostAgent(inst, 10_000, 0, (ev) => {
      seen.push(ev);
      return ev.status.exiting === true;
    });
    setTimeout(() => appendFileSync(file, `{"truncated":\n${eventLine({ exiting: true, errors: ["boom"] })}`), 300);
    assert.equal(await watching, "done");
    assert.deepEqual(seen.map((ev) => ev.status), [{ sshLocalPort: 60022 }, { exiting: true, errors: ["boom"] }]);
    const skipped = logs.filter((l) => l.includes("that is not an event"));
    assert.equal(skipped.length, 4, logs.join("\n"));
    assert.ok(skipped.every((l) => /level=debug/i.test(l) || /DEBU/.test(l)), skipped.join("\n"));
  });
});
