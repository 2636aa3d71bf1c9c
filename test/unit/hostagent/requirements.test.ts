// The requirement scripts run for real under /bin/sh, with /run moved to a temp dir.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { mountTag } from "../../../src/cidata/mac.js";
import {
  bootFailureReportsScript,
  bootFailureWarning,
  bootOverScript,
  bootStepCheck,
  essentialRequirements,
  finalRequirements,
  HOPELESS_EXIT,
  mountRequirements,
  optionalRequirements,
  PROBE_GRACE_AFTER_BOOT_MS,
} from "../../../src/hostagent/requirements.js";

const IID = "iid-42";

function runIn(run: string, script: string): { status: number | null; stderr: string } {
  const res = spawnSync("/bin/sh", ["-s"], { input: script.replaceAll("/run/", `${run}/`), encoding: "utf8" });
  return { status: res.status, stderr: res.stderr };
}

describe("requirements met by a boot step", () => {
  const script = bootStepCheck('test -e /run/thing', IID, "40-install-containerd.sh", "Fix `containerd.archives`.");

  it("pass once met, and wait (exit 1) while the boot goes on", () => {
    const run = mkdtempSync(path.join(os.tmpdir(), "run-"));
    assert.equal(runIn(run, script).status, 1);
    mkdirSync(path.join(run, "lima-boot-failed"));
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), `${IID}\n`);
    writeFileSync(path.join(run, "lima-boot-failed", "30-install-packages.sh.log"), "another step failed\n");
    assert.equal(runIn(run, script).status, 1, "another step's failure is not this requirement's");
    writeFileSync(path.join(run, "thing"), "");
    assert.equal(runIn(run, script).status, 0);
  });

  it("give up at once with the step's failure report and the fix", () => {
    const run = mkdtempSync(path.join(os.tmpdir(), "run-"));
    mkdirSync(path.join(run, "lima-boot-failed"));
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), "iid-of-an-earlier-boot\n");
    writeFileSync(path.join(run, "lima-boot-failed", "40-install-containerd.sh.log"), "old report\n");
    assert.equal(runIn(run, script).status, 1, "a report of an earlier boot does not count");
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), `${IID}\n`);
    writeFileSync(path.join(run, "lima-boot-failed", "40-install-containerd.sh.log"), "40-install-containerd.sh failed with exit status 2; ...\n  tar: bin/nerdctl: Not found in archive\n");
    const res = runIn(run, script);
    assert.equal(res.status, HOPELESS_EXIT);
    assert.equal(res.stderr, "40-install-containerd.sh failed with exit status 2; ...\n  tar: bin/nerdctl: Not found in archive\nFix `containerd.archives`.\n");
  });

  it("give up once boot.sh stopped early or the boot is over", () => {
    const run = mkdtempSync(path.join(os.tmpdir(), "run-"));
    mkdirSync(path.join(run, "lima-boot-failed"));
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), `${IID}\n`);
    writeFileSync(path.join(run, "lima-boot-done"), `${IID}\n`);
    const done = runIn(run, script);
    assert.equal(done.status, HOPELESS_EXIT);
    assert.match(done.stderr, /^The boot scripts have finished without meeting it\.\nFix `containerd\.archives`\.\n$/);
    writeFileSync(path.join(run, "lima-boot-done"), "");
    writeFileSync(path.join(run, "lima-boot-failed", "boot.sh.log"), "boot.sh stopped early with exit status 1\n");
    assert.equal(runIn(run, script).status, HOPELESS_EXIT);
  });

  it("pass when met between the first look and the boot-done check (boot.sh wrote lima-boot-done meanwhile)", () => {
    const run = mkdtempSync(path.join(os.tmpdir(), "run-"));
    writeFileSync(path.join(run, "lima-boot-done"), `${IID}\n`);
    // Unmet on the first look, met on the next: what a marker written in between looks like.
    const flips = bootStepCheck(`test -e /run/looked || { touch /run/looked; false; }`, IID, "boot.sh", "fix");
    assert.equal(runIn(run, flips).status, 0);
  });

  it("bind the boot-made requirements to their steps and name the fix for containerd", () => {
    const config = { arch: "x86_64" as const, containerd: { user: true, archives: [{ location: "/tmp/nerdctl.tgz", arch: "x86_64" as const }] } };
    const scripts = [...essentialRequirements(config, IID), ...optionalRequirements(config, IID, "/h/i/lima.yaml"), ...finalRequirements(IID)].map((r) => `${r.description}: ${r.script}`);
    assert.ok(scripts.some((s) => s.startsWith("user session is ready for ssh:") && s.includes('"$dir/07-etc-environment.sh.log"')));
    const containerd = scripts.find((s) => s.startsWith("containerd binaries to be installed:")) ?? "";
    assert.ok(containerd.includes('"$dir/40-install-containerd.sh.log"'));
    assert.ok(containerd.includes('Fix `containerd.archives` (now "/tmp/nerdctl.tgz") in "/h/i/lima.yaml" to name a nerdctl-full archive for x86_64, or set `containerd.system: false` and `containerd.user: false`'));
    // Where to read why the install failed: the guest's boot log, and the serial console log on the host.
    assert.ok(containerd.includes('The whole boot log is "/var/log/cloud-init-output.log" in the guest, and "/h/i/serial.log" on the host.'), containerd);
    assert.ok(scripts.some((s) => s.startsWith("boot scripts must have finished:") && s.includes('"$dir/boot.sh.log"')));
  });

  it("report a containerd install that failed after nerdctl was unpacked, once the boot is over", () => {
    const config = { arch: "x86_64" as const, containerd: { system: false, user: true } };
    assert.deepEqual(finalRequirements(IID, { containerd: { system: false, user: false } }, "/h/i/lima.yaml").map((r) => r.description), ["boot scripts must have finished"]);
    const check = finalRequirements(IID, config, "/h/i/lima.yaml").find((r) => r.description === "containerd install to have succeeded");
    assert.ok(check);
    const run = mkdtempSync(path.join(os.tmpdir(), "run-"));
    writeFileSync(path.join(run, "lima-boot-done"), `${IID}\n`);
    assert.equal(runIn(run, check.script).status, 0, "no failure report: installed");
    mkdirSync(path.join(run, "lima-boot-failed"));
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), "iid-of-an-earlier-boot\n");
    writeFileSync(path.join(run, "lima-boot-failed", "40-install-containerd.sh.log"), "old report\n");
    assert.equal(runIn(run, check.script).status, 0, "a report of an earlier boot does not count");
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), `${IID}\n`);
    writeFileSync(path.join(run, "lima-boot-failed", "40-install-containerd.sh.log"), "40-install-containerd.sh failed with exit status 1; the last lines of its error output:\n  Failed to enable unit: Unit file dbus.socket does not exist.\n");
    const res = runIn(run, check.script);
    assert.equal(res.status, HOPELESS_EXIT);
    assert.equal(
      res.stderr,
      "40-install-containerd.sh failed with exit status 1; the last lines of its error output:\n  Failed to enable unit: Unit file dbus.socket does not exist.\n" +
        'containerd was not installed completely: see the error above, or set `containerd.system: false` and `containerd.user: false` if the instance needs no containers. The whole boot log is "/var/log/cloud-init-output.log" in the guest, and "/h/i/serial.log" on the host.\n',
    );
  });
});

describe("readiness probes and the boot's failure reports", () => {
  it("a probe gives up only once the boot is over (done, or boot.sh stopped early)", () => {
    const [probe] = optionalRequirements({ probes: [{ mode: "readiness", script: "#!/bin/sh\nfalse\n", hint: "see the log" }] }, IID, "/h/i/lima.yaml");
    assert.deepEqual(probe?.afterBoot, { iid: IID, graceMs: PROBE_GRACE_AFTER_BOOT_MS });
    const run = mkdtempSync(path.join(os.tmpdir(), "run-"));
    assert.equal(runIn(run, bootOverScript(IID)).status, 1);
    writeFileSync(path.join(run, "lima-boot-done"), "iid-of-an-earlier-boot\n");
    assert.equal(runIn(run, bootOverScript(IID)).status, 1);
    writeFileSync(path.join(run, "lima-boot-done"), `${IID}\n`);
    assert.equal(runIn(run, bootOverScript(IID)).status, 0);
    const early = mkdtempSync(path.join(os.tmpdir(), "run-"));
    mkdirSync(path.join(early, "lima-boot-failed"));
    writeFileSync(path.join(early, "lima-boot-failed", "iid"), `${IID}\n`);
    assert.equal(runIn(early, bootOverScript(IID)).status, 1);
    writeFileSync(path.join(early, "lima-boot-failed", "boot.sh.log"), "boot.sh stopped early\n");
    assert.equal(runIn(early, bootOverScript(IID)).status, 0);
  });

  it("the failure reports of this boot are collected into one warning naming the guest log", () => {
    const run = mkdtempSync(path.join(os.tmpdir(), "run-"));
    const reports = (): string => spawnSync("/bin/sh", ["-s"], { input: bootFailureReportsScript(IID).replaceAll("/run/", `${run}/`), encoding: "utf8" }).stdout;
    assert.equal(reports(), "");
    mkdirSync(path.join(run, "lima-boot-failed"));
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), "iid-of-an-earlier-boot\n");
    writeFileSync(path.join(run, "lima-boot-failed", "provision.system-00000001.log"), "provision.system/00000001 failed with exit status 3\n");
    assert.equal(reports(), "", "an earlier boot's reports do not count");
    writeFileSync(path.join(run, "lima-boot-failed", "iid"), `${IID}\n`);
    assert.equal(reports(), "provision.system/00000001 failed with exit status 3\n");
    assert.equal(bootFailureWarning(""), undefined);
    assert.equal(
      bootFailureWarning(reports()),
      'The boot scripts reported failures (the output is in "/var/log/cloud-init-output.log" in the guest):\nprovision.system/00000001 failed with exit status 3',
    );
  });
});

describe("9p/virtiofs mounts after the boot", () => {
  const yamlFile = "/h/i/lima.yaml";
  const run = (script: string): { status: number | null; stderr: string } => {
    const res = spawnSync("/bin/sh", ["-s"], { input: script, encoding: "utf8" });
    return { status: res.status, stderr: res.stderr };
  };

  it("pass when every mount point is mounted", () => {
    const [req] = mountRequirements({ mountType: "virtiofs", mounts: [{ location: "/host", mountPoint: "/" }] }, yamlFile);
    assert.equal(req?.description, "virtiofs mounts");
    assert.equal(run(req?.script ?? "").status, 0);
  });

  it("name each missing mount, its type and tag, and the fix, without retries", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "not mounted ü-"));
    const mounts = [{ location: "/host/a b", mountPoint: dir }, { location: "/", mountPoint: "/" }];
    const [req] = mountRequirements({ mountType: "9p", mounts }, yamlFile);
    const res = run(req?.script ?? "");
    assert.equal(res.status, HOPELESS_EXIT);
    const lines = res.stderr.trim().split("\n");
    assert.equal(lines.length, 1, res.stderr);
    assert.ok(lines[0]?.startsWith(`"/host/a b" is not mounted at ${JSON.stringify(dir)} in the guest (mountType: 9p, tag ${mountTag("/host/a b", dir)}): `), res.stderr);
    // This host's kernel may or may not have 9p: either way the line says what to do.
    assert.match(lines[0] ?? "", /has no 9p file system .* set `mountType: reverse-sshfs` or `mountType: virtiofs` in "\/h\/i\/lima\.yaml"\.$|mounting it failed; run `sudo mount '.*'` in the guest to see why\.$/);
  });

  it("are not checked for reverse-sshfs, without mounts, or on other guest OSes", () => {
    assert.deepEqual(mountRequirements({ mountType: "reverse-sshfs", mounts: [{ location: "/a" }] }, yamlFile), []);
    assert.deepEqual(mountRequirements({ mountType: "9p", mounts: [] }, yamlFile), []);
    assert.deepEqual(mountRequirements({ mountType: "9p", os: "FreeBSD", mounts: [{ location: "/a" }] }, yamlFile), []);
  });
});
