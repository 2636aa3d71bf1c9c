// A 9p/virtiofs mount is made by the guest itself (fstab, `nofail`), so a guest that cannot mount
// it still boots: the host agent must then say so. Debian's cloud kernel has no 9p.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureGuestImage, GUEST_TEMPLATE, guestImagesYaml } from "../helpers/guest.js";
import { LimaHome } from "../helpers/limactl.js";

const BOOT_MS = 15 * 60_000;

interface RunningEvent {
  status: { running?: boolean; degraded?: boolean; errors?: string[] };
}

describe("a 9p mount the guest kernel cannot make", { timeout: 20 * 60_000 }, () => {
  const home = new LimaHome();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lima missing-"));
  const shared = path.join(tmp, "shared dir");
  let started = { code: 0, stdout: "", stderr: "" };

  before(async () => {
    ensureGuestImage();
    const yaml = path.join(tmp, "lima.yaml");
    writeFileSync(yaml, [`base: ${GUEST_TEMPLATE}`, "mountType: 9p", "mountTypesUnsupported: []", "mounts:", `- location: ${JSON.stringify(shared)}`, guestImagesYaml("cloud"), ""].join("\n"));
    const created = await home.limactl(["create", "--name", "nop9", yaml]);
    assert.equal(created.code, 0, created.stderr);
    started = await home.limactl(["start", "nop9"], { timeoutMs: BOOT_MS });
  });
  after(async () => {
    await home.limactl(["delete", "-f", "nop9"]);
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("makes `limactl start` fail as degraded, naming the mount, the type and the fix", () => {
    assert.equal(started.code, 1, started.stderr);
    assert.match(started.stderr, /DEGRADED/);
    assert.match(started.stderr, /is not mounted at/);
  });

  it("puts the reason in the `running` event's errors", () => {
    const events = readFileSync(path.join(home.dir, "nop9", "ha.stdout.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RunningEvent);
    const running = events.find((e) => e.status.running === true);
    assert.ok(running, "a running event");
    assert.equal(running.status.degraded, true);
    const error = (running.status.errors ?? []).find((e) => e.includes("9p mounts")) ?? "";
    assert.match(error, /cannot be satisfied any more/);
    assert.ok(error.includes(`${JSON.stringify(shared)} is not mounted at ${JSON.stringify(shared)} in the guest (mountType: 9p, tag lima-`), error);
    assert.match(error, /the guest kernel \S+-cloud-amd64 has no 9p file system/);
    assert.match(error, /set `mountType: reverse-sshfs` or `mountType: virtiofs` in ".*lima\.yaml"/);
  });
});
