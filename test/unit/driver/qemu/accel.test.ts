import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { hostArch } from "../../../../src/config/host.js";
import {
  ACCEL_CACHE_FILE, checkCPUModel, chooseAccel, defaultCPUModel, fallbackWarning, nominalAccel, probeAccel, probeFailure, resolveCPUModel,
} from "../../../../src/driver/qemu/accel.js";
import { PROBE_OK_MARKER, probeBootSector } from "../../../../src/driver/qemu/probeguest.js";
import { inspectFeatures, qemuVersion } from "../../../../src/driver/qemu/version.js";

const EXE = "/usr/bin/qemu-system-x86_64";
const tmp = mkdtempSync(path.join(os.tmpdir(), "qemu-accel-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("CPU model", () => {
  it("is max under TCG and host with a hardware accelerator on the native arch", () => {
    assert.equal(defaultCPUModel("x86_64", "tcg", "linux", true), "max");
    assert.equal(defaultCPUModel("x86_64", "kvm", "linux", true), "host");
    assert.equal(defaultCPUModel("aarch64", "tcg", "linux", false), "max");
    assert.equal(defaultCPUModel("x86_64", "whpx", "win32", true), "qemu64");
    assert.equal(defaultCPUModel("x86_64", "hvf", "darwin", true), "host,-avx512vl,-pdpe1gb");
    assert.equal(defaultCPUModel("x86_64", "tcg", "darwin", false), "max,-avx512vl,-pdpe1gb");
  });

  it("honours vmOpts.qemu.cpuType[arch]", () => {
    assert.equal(resolveCPUModel({ vmOpts: { qemu: { cpuType: { x86_64: "Haswell-v4" } } } }, "x86_64", "tcg"), "Haswell-v4");
    assert.equal(resolveCPUModel({ vmOpts: { qemu: { cpuType: { x86_64: "" } } } }, "x86_64", "tcg"), "max");
  });

  it("must appear in -cpu help, except max", async () => {
    const { cpuHelp } = await inspectFeatures(EXE, "q35");
    checkCPUModel("max", "", EXE);
    checkCPUModel("Haswell-v4", cpuHelp, EXE);
    checkCPUModel("qemu64,+ssse3", cpuHelp, EXE);
    assert.throws(() => checkCPUModel("no-such-cpu", cpuHelp, EXE), /cpu `no-such-cpu` is not supported by/);
  });
});

describe("nominal accelerator", () => {
  it("is tcg for foreign arches and kvm when /dev/kvm exists on Linux", () => {
    const foreign = hostArch() === "x86_64" ? "aarch64" : "x86_64";
    assert.equal(nominalAccel(foreign, "linux", true), "tcg");
    assert.equal(nominalAccel(hostArch(), "linux", true), "kvm");
    assert.equal(nominalAccel(hostArch(), "linux", false), "tcg");
    assert.equal(nominalAccel(hostArch(), "win32", false), "whpx");
  });
});

describe("probe guest", () => {
  it("is one boot sector with the signature", () => {
    const sector = probeBootSector();
    assert.equal(sector.length, 512);
    assert.deepEqual([...sector.subarray(510)], [0x55, 0xaa]);
  });

  it("reaches 64-bit mode and a timer interrupt under TCG", async () => {
    const result = await probeAccel(EXE, "tcg", "max", { workDir: path.join(tmp, "tcg"), timeoutMs: 20_000 });
    assert.equal(result.ok, true, result.report);
    assert.ok(result.report.includes(PROBE_OK_MARKER));
    assert.ok(result.elapsedMs < 20_000);
  });

  it("reports a failure when the guest cannot run", async () => {
    const result = await probeAccel(EXE, "tcg", "no-such-cpu", { workDir: path.join(tmp, "bad"), timeoutMs: 5_000 });
    assert.equal(result.ok, false);
    assert.match(result.report, /result: did not boot/);
  });
});

describe("chooseAccel", () => {
  it("probes KVM once within the bound, caches the verdict and warns on fallback", async (t) => {
    if (!existsSync("/dev/kvm") || hostArch() !== "x86_64") return t.skip("needs /dev/kvm on x86_64");
    const { accelHelp } = await inspectFeatures(EXE, "q35");
    if (!accelHelp.split("\n").includes("kvm")) return t.skip("QEMU without KVM");
    const version = await qemuVersion(EXE);
    const cacheDir = path.join(tmp, "cache");
    const input = { arch: "x86_64" as const, exe: EXE, qemuVersion: version, accelHelp, hardwareCPUModel: "host", env: {}, cacheDir, platform: "linux" as const };
    const started = Date.now();
    const first = await chooseAccel(input);
    assert.ok(Date.now() - started < 25_000);
    assert.equal(first.source, "probe");
    assert.ok(first.accel === "kvm" || first.accel === "tcg");
    const cache = JSON.parse(readFileSync(path.join(cacheDir, ACCEL_CACHE_FILE), "utf8")) as Record<string, { accel: string; details: string }>;
    const [entry] = Object.values(cache);
    assert.equal(entry?.accel, first.accel);
    assert.ok(existsSync(entry?.details ?? ""));
    if (first.accel === "tcg") {
      assert.equal(first.warning, fallbackWarning({ failure: (entry as { failure?: string }).failure, details: entry?.details ?? "" }));
    } else {
      assert.equal(first.warning, undefined);
    }
    const second = await chooseAccel(input);
    assert.deepEqual({ ...second, source: undefined }, { ...first, source: undefined });
    assert.equal(second.source, "cache");
  });

  it("says what QEMU reported when it exited at once, not a timeout", async (t) => {
    if (existsSync("/dev/kvm") || hostArch() !== "x86_64") return t.skip("needs an x86_64 host without /dev/kvm, so QEMU refuses -accel kvm");
    const { accelHelp } = await inspectFeatures(EXE, "q35");
    if (!accelHelp.split("\n").includes("kvm")) return t.skip("QEMU without KVM");
    const cacheDir = path.join(tmp, "exits");
    const input = { arch: "x86_64" as const, exe: EXE, qemuVersion: await qemuVersion(EXE), accelHelp, hardwareCPUModel: "host", env: {}, cacheDir, platform: "linux" as const, kvmPresent: true };
    const started = Date.now();
    const choice = await chooseAccel(input);
    assert.ok(Date.now() - started < 10_000, "QEMU exits at once");
    assert.equal(choice.accel, "tcg");
    assert.match(choice.warning ?? "", /^KVM is present \(\/dev\/kvm\) but cannot run guests here \(QEMU exited with status 1: .*kvm.*\); using TCG software emulation \(slow\)\. Details: /);
    assert.doesNotMatch(choice.warning ?? "", /within/);
    const cached = await chooseAccel(input);
    assert.equal(cached.source, "cache");
    assert.equal(cached.warning, choice.warning);
  });

  it("takes LIMA_QEMU_ACCEL without probing", async () => {
    const { accelHelp } = await inspectFeatures(EXE, "q35");
    const base = { arch: "x86_64" as const, exe: EXE, qemuVersion: { major: 7, minor: 2, patch: 0 }, accelHelp, hardwareCPUModel: "host", cacheDir: path.join(tmp, "env") };
    assert.deepEqual(await chooseAccel({ ...base, env: { LIMA_QEMU_ACCEL: "tcg" } }), { accel: "tcg", source: "env" });
    assert.equal(existsSync(path.join(tmp, "env", ACCEL_CACHE_FILE)), false);
    await assert.rejects(chooseAccel({ ...base, env: { LIMA_QEMU_ACCEL: "fast" } }), /invalid LIMA_QEMU_ACCEL value `fast`/);
    await assert.rejects(chooseAccel({ ...base, env: { LIMA_QEMU_ACCEL: "hvf" } }), /accelerator `hvf` is not supported by/);
  });

  it("uses TCG for foreign arches and when /dev/kvm is absent", async () => {
    const base = { exe: EXE, qemuVersion: { major: 7, minor: 2, patch: 0 }, accelHelp: "Accelerators supported in QEMU binary:\ntcg\nkvm\n", hardwareCPUModel: "host", env: {}, platform: "linux" as const };
    const foreign = hostArch() === "x86_64" ? "aarch64" : "x86_64";
    assert.deepEqual(await chooseAccel({ ...base, arch: foreign }), { accel: "tcg", source: "nominal" });
    assert.deepEqual(await chooseAccel({ ...base, arch: "x86_64", kvmPresent: false }), { accel: hostArch() === "x86_64" ? "tcg" : "tcg", source: "nominal" });
    if (hostArch() === "x86_64") {
      const noKvm = await chooseAccel({ ...base, arch: "x86_64", kvmPresent: true, accelHelp: "tcg\n" });
      assert.equal(noKvm.accel, "tcg");
      assert.match(noKvm.warning ?? "", /does not support it; using TCG/);
    }
  });
});

describe("probe failure message", () => {
  it("quotes QEMU's error when it aborted, and names the signal", () => {
    const stderr = "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000000\nqemu-system-x86_64: ../target/i386/kvm/kvm.c:3164: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.\n";
    assert.equal(
      probeFailure({ status: "SIGABRT", stderr, timedOut: false, timeoutMs: 20_000 }),
      "QEMU was killed by SIGABRT: qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000000",
    );
  });

  it("quotes the first lines when none says error, and the status alone when stderr is empty", () => {
    const stderr = "Could not access KVM kernel module: No such file or directory\nqemu-system-x86_64: failed to initialize kvm: No such file or directory\n";
    assert.equal(
      probeFailure({ status: "1", stderr, timedOut: false, timeoutMs: 20_000 }),
      "QEMU exited with status 1: Could not access KVM kernel module: No such file or directory; qemu-system-x86_64: failed to initialize kvm: No such file or directory",
    );
    assert.equal(probeFailure({ status: "0", stderr: "", timedOut: false, timeoutMs: 20_000 }), "QEMU exited with status 0 before the test guest reached 64-bit mode");
  });

  it("speaks of the time limit only when the guest was killed for it", () => {
    assert.equal(probeFailure({ status: "SIGKILL", stderr: "", timedOut: true, timeoutMs: 20_000 }), "the test guest did not boot within 20s");
  });

  it("builds the warning from the cached verdict, old verdicts without a reason included", () => {
    assert.equal(
      fallbackWarning({ failure: "the test guest did not boot within 20s", details: "/c/report.txt" }),
      "KVM is present (/dev/kvm) but cannot run guests here (the test guest did not boot within 20s); using TCG software emulation (slow). Details: /c/report.txt",
    );
    assert.equal(
      fallbackWarning({ details: "/c/report.txt" }),
      "KVM is present (/dev/kvm) but cannot run guests here (the test guest did not boot); using TCG software emulation (slow). Details: /c/report.txt",
    );
  });
});
