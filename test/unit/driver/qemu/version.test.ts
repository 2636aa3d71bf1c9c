import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { findSystemFirmware, firmwareCandidates, usesNoFirmware } from "../../../../src/driver/qemu/firmware.js";
import {
  accelSupported, checkQemuVersion, minimumQemuVersion, parseQemuVersion, qemuArch, qemuEdk2Arch, qemuExecutable, qemuVersion, shellWords,
} from "../../../../src/driver/qemu/version.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "qemu-version-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("QEMU binary", () => {
  it("maps arches to binary names", () => {
    assert.equal(qemuArch("x86_64"), "x86_64");
    assert.equal(qemuArch("armv7l"), "arm");
    assert.equal(qemuArch("ppc64le"), "ppc64");
    assert.equal(qemuEdk2Arch("riscv64"), "riscv");
  });

  it("finds qemu-system-x86_64 in PATH and honours QEMU_SYSTEM_X86_64", () => {
    assert.deepEqual(qemuExecutable("x86_64", { PATH: "/nonexistent:/usr/bin" }), { exe: "/usr/bin/qemu-system-x86_64", args: [] });
    assert.throws(() => qemuExecutable("riscv64", { PATH: "/nonexistent" }), { message: 'exec: "qemu-system-riscv64": executable file not found in $PATH' });
    const fake = path.join(tmp, "my qemu");
    writeFileSync(fake, "#!/bin/sh\n", { mode: 0o755 });
    assert.deepEqual(qemuExecutable("x86_64", { PATH: "", QEMU_SYSTEM_X86_64: `'${fake}' -d "guest_errors"` }), { exe: fake, args: ["-d", "guest_errors"] });
  });

  it("splits shell words", () => {
    assert.deepEqual(shellWords(` a "b c" 'd\\e' f\\ g "" `), ["a", "b c", "d\\e", "f g", ""]);
    assert.throws(() => shellWords(`"open`));
  });

  it("parses --version", async () => {
    assert.deepEqual(parseQemuVersion("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright"), { major: 7, minor: 2, patch: 22 });
    assert.throws(() => parseQemuVersion("qemu 9"), /failed to parse qemu 9/);
    const v = await qemuVersion("/usr/bin/qemu-system-x86_64");
    assert.ok(v.major >= 4);
  });

  it("checks minimum versions", () => {
    const linux = minimumQemuVersion("linux", "x64");
    assert.deepEqual(minimumQemuVersion("darwin", "arm64").hard, { major: 8, minor: 2, patch: 1 });
    assert.equal(checkQemuVersion({ major: 7, minor: 2, patch: 0 }, linux), undefined);
    assert.equal(checkQemuVersion({ major: 6, minor: 0, patch: 0 }, linux), "QEMU 6.0.0 is too old, 6.2.0 or later is recommended");
    assert.throws(() => checkQemuVersion({ major: 3, minor: 1, patch: 0 }, linux), { message: "QEMU 3.1.0 is too old, 4.0.0 or later required" });
    assert.throws(() => checkQemuVersion({ major: 7, minor: 2, patch: 0 }, linux, "8.0.0"), { message: "QEMU 7.2.0 is too old, template requires `8.0.0` or later" });
    assert.equal(checkQemuVersion({ major: 8, minor: 0, patch: 0 }, linux, "8.0.0"), undefined);
  });

  it("matches accelerators by line", () => {
    const help = "Accelerators supported in QEMU binary:\ntcg\nkvm\n";
    assert.ok(accelSupported(help, "kvm"));
    assert.ok(!accelSupported(help, "hvf"));
    assert.ok(!accelSupported("Accelerators supported in QEMU binary:\n", "tcg"));
  });
});

describe("firmware", () => {
  it("lists user, prefix and distro candidates in order", () => {
    assert.deepEqual(firmwareCandidates("/usr/local/bin/qemu-system-aarch64", "aarch64", "/home/u"), [
      "/home/u/.local/share/qemu/edk2-aarch64-code.fd",
      "/usr/local/share/qemu/edk2-aarch64-code.fd",
      "/usr/local/bin/share/edk2-aarch64-code.fd",
      "/usr/share/edk2/aarch64/QEMU_CODE.fd",
      "/usr/share/AAVMF/AAVMF_CODE.fd",
      "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd",
    ]);
    assert.equal(firmwareCandidates("/usr/bin/qemu-system-riscv64", "riscv64", "/h")[0], "/h/.local/share/qemu/edk2-riscv-code.fd");
    assert.throws(() => firmwareCandidates("/usr/bin/qemu-system-s390x", "s390x"), /unexpected architecture: `s390x`/);
  });

  it("picks the first existing file or gives Lima's hint", () => {
    assert.equal(findSystemFirmware("/usr/bin/qemu-system-x86_64", "x86_64", (f) => f === "/usr/share/OVMF/OVMF_CODE_4M.fd"), "/usr/share/OVMF/OVMF_CODE_4M.fd");
    assert.throws(() => findSystemFirmware("/usr/bin/qemu-system-x86_64", "x86_64", () => false), /could not find firmware for `x86_64` \(hint: try setting `firmware.legacyBIOS` to `true`\)/);
    assert.throws(() => findSystemFirmware("/usr/bin/qemu-system-arm", "armv7l", () => false), /hint: try copying the `edk-arm-code.fd` firmware/);
  });

  it("uses none on ppc64le, s390x and with legacyBIOS", () => {
    assert.equal(usesNoFirmware("ppc64le", false), true);
    assert.equal(usesNoFirmware("s390x", false), true);
    assert.equal(usesNoFirmware("x86_64", true), true);
    assert.equal(usesNoFirmware("x86_64", false), false);
  });
});
