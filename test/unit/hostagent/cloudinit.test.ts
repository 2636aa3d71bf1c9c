import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CloudInitTracker } from "../../../src/hostagent/cloudinit.js";
import { eventLine } from "../../../src/hostagent/events.js";

describe("cloud-init progress (--progress)", () => {
  it("cloud-init-output.log: every non-blank line is an event, the 'Cloud-init … finished' line completes it", () => {
    const tracker = new CloudInitTracker();
    assert.equal(tracker.line("   "), undefined);
    assert.deepEqual(tracker.line("LIMA 2026-11-30T15:00:00+00:00| Executing /mnt/lima-cidata/provision.system/00000001"), {
      active: true,
      logLine: "LIMA 2026-11-30T15:00:00+00:00| Executing /mnt/lima-cidata/provision.system/00000001",
      completed: false,
    });
    const last = "Cloud-init v. 22.4.2 finished at Mon, 30 Nov 2026 15:00:40 +0000. Datasource DataSourceNoCloud [seed=/dev/vdb][dsmode=net].  Up 41.48 seconds";
    assert.deepEqual(tracker.line(last), { active: false, logLine: last, completed: true });
    assert.equal(tracker.finished, true);
  });

  it("cloud-init-main.service's journal: only the unit's end completes it, not a stage's 'finished' line", () => {
    const tracker = new CloudInitTracker();
    assert.equal(tracker.line("Started cloud-init-main.service - Cloud-init: Single Process.")?.completed, false);
    assert.equal(tracker.line("Cloud-init v. 24.4 finished running modules:config")?.completed, false);
    assert.deepEqual(tracker.line("cloud-init-main.service: Consumed 5.123s CPU time."), { active: false, logLine: "cloud-init-main.service: Consumed 5.123s CPU time.", completed: true });
  });

  it("the last lines fetched after a dropped connection complete it on a 'finished' line", () => {
    const tracker = new CloudInitTracker();
    assert.equal(tracker.tailLine("")?.completed, undefined);
    assert.equal(tracker.tailLine("some output")?.completed, false);
    assert.equal(tracker.tailLine("Cloud-init v. 22.4.2 finished at …")?.completed, true);
  });

  it("events carry Lima's field order (logLine, completed, active) without empty fields", () => {
    const line = eventLine({ running: true, sshLocalPort: 60022, cloudInitProgress: { active: true, logLine: "x", completed: false } }, new Date("2026-08-21T01:00:00Z"));
    assert.match(line, /"status":\{"running":true,"sshLocalPort":60022,"cloudInitProgress":\{"logLine":"x","active":true\}\}\}\n$/);
    const done = eventLine({ cloudInitProgress: { active: false, completed: true, logLine: "Cloud-init monitoring completed successfully" } });
    assert.match(done, /"status":\{"cloudInitProgress":\{"logLine":"Cloud-init monitoring completed successfully","completed":true\}\}\}\n$/);
    assert.match(eventLine({ cloudInitProgress: { active: true } }), /"status":\{"cloudInitProgress":\{"active":true\}\}\}\n$/);
  });
});
