import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Status } from "../../../src/hostagent/events.js";
import { StartEvents } from "../../../src/instance/startevents.js";
import { configureLogger } from "../../../src/log/logger.js";

function capture(): string[] {
  const logs: string[] = [];
  configureLogger({ write: (line) => void logs.push(line.trim()), level: "info", format: "text", isTTY: false });
  return logs;
}

const ev = (status: Status) => ({ time: "2026-11-30T15:00:00Z", status });

describe("limactl start's view of the host agent's events", () => {
  it("without --progress: done at `running`, cloud-init events are not shown", () => {
    const logs = capture();
    const watch = new StartEvents(false);
    assert.equal(watch.onEvent(ev({ sshLocalPort: 60022 })), false);
    assert.equal(watch.onEvent(ev({ sshLocalPort: 60022, cloudInitProgress: { active: true, logLine: "hello" } })), false);
    assert.equal(watch.onEvent(ev({ running: true, sshLocalPort: 60022 })), true);
    assert.equal(logs.filter((l) => l.includes("cloud-init")).length, 0, logs.join("\n"));
    assert.equal(logs.filter((l) => l.includes("SSH Local Port: 60022")).length, 1);
  });

  it("with --progress: shows each line and waits after `running` until cloud-init has completed", () => {
    const logs = capture();
    const watch = new StartEvents(true);
    watch.onEvent(ev({ sshLocalPort: 60022, cloudInitProgress: { active: true } }));
    watch.onEvent(ev({ sshLocalPort: 60022, cloudInitProgress: { active: true, logLine: "LIMA | Executing provision.system/00000001" } }));
    assert.equal(watch.onEvent(ev({ running: true, sshLocalPort: 60022 })), false, "cloud-init still runs");
    assert.equal(watch.running, true);
    assert.equal(watch.onEvent(ev({ running: true, sshLocalPort: 60022, cloudInitProgress: { logLine: "Cloud-init v. 22.4.2 finished at …", completed: true } })), true);
    const shown = logs.filter((l) => /cloud-init|Cloud-init/.test(l));
    assert.equal(shown.length, 4, logs.join("\n"));
    assert.match(shown[0] ?? "", /Cloud-init provisioning started\.\.\./);
    assert.match(shown[1] ?? "", /\[cloud-init\] LIMA \| Executing provision\.system\/00000001/);
    assert.match(shown[2] ?? "", /\[cloud-init\] Cloud-init v\. 22\.4\.2 finished at/);
    assert.match(shown[3] ?? "", /Cloud-init progress monitoring done\./);
  });

  it("with --progress: completion before `running` ends the watch at `running`; degraded and exiting end it at once", () => {
    capture();
    const early = new StartEvents(true);
    early.onEvent(ev({ cloudInitProgress: { completed: true, logLine: "Cloud-init monitoring completed successfully" } }));
    assert.equal(early.onEvent(ev({ running: true })), true);
    const degraded = new StartEvents(true);
    assert.equal(degraded.onEvent(ev({ running: true, degraded: true, errors: ["probe failed\nhint"] })), true);
    assert.deepEqual([degraded.degraded, degraded.errors], [true, ["probe failed\nhint"]]);
    const exiting = new StartEvents(true);
    assert.equal(exiting.onEvent(ev({ exiting: true, errors: ["boom"] })), true);
    assert.deepEqual([exiting.exiting, exiting.running], [true, false]);
  });
});
