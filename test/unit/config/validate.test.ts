import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fillDefault } from "../../../src/config/defaults.js";
import { loadYAML } from "../../../src/config/load.js";
import type { LimaYAML } from "../../../src/config/types.js";
import { validate, validateParamIsUsed } from "../../../src/config/validate.js";
import { VERSION } from "../../../src/version.js";
import { captureLog, IMAGE_YAML, tempLimaHome, testContext } from "./helpers.js";

const IMAGE = { location: "https://example.com/img.qcow2", arch: "x86_64" as const };

function filled(y: LimaYAML): LimaYAML {
  const config: LimaYAML = { images: [IMAGE], ...y };
  fillDefault(config, {}, {}, "/lima/inst/lima.yaml", testContext(), { onWarning: () => {} });
  return config;
}

function errorsOf(y: LimaYAML, raw = false, warnings: string[] = []): string {
  try {
    validate(raw ? y : filled(y), { warn: true, registeredDrivers: ["qemu"], hostOS: "linux", onWarning: (m) => warnings.push(m) });
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

function assertError(y: LimaYAML, expected: string): void {
  const lines = errorsOf(y).split("\n");
  assert.ok(lines.includes(expected), `expected ${JSON.stringify(expected)} in:\n${lines.join("\n")}`);
}

describe("validate", () => {
  it("accepts a filled default config", () => assert.equal(errorsOf({}), ""));

  const cases: [string, LimaYAML, string][] = [
    ["base", { base: [{ url: "template://x" }] }, "field `base` must be empty for YAML validation"],
    ["minimumLimaVersion syntax", { minimumLimaVersion: "two" }, "field `minimumLimaVersion` must be a semvar value, got `two`: two is not in dotted-tri format"],
    ["minimumLimaVersion too new", { minimumLimaVersion: "99.0.0" }, `template requires Lima version \`99.0.0\`; this is only \`${VERSION}\``],
    ["windows vmType", { os: "Windows", vmType: "vz" }, "currently Windows guest is only supported on `qemu`; got `vz`"],
    ["windows arch", { os: "Windows", arch: "riscv64" }, "currently Windows guest is only supported on [`x86_64`, `aarch64`]; got `riscv64`"],
    ["os", { os: "linux" as never }, "field `os` must be one of [`Linux` `Darwin` `FreeBSD` `Windows`]; got `linux`"],
    ["arch", { arch: "amd64" as never }, "field `arch` must be one of [x86_64 aarch64 armv7l ppc64le riscv64 s390x]; got `amd64`"],
    ["relative shell", { user: { shell: "bash" } }, "field `user.shell` must be an absolute path, got `bash`"],
    ["windows shell", { os: "Windows", user: { shell: "bash.exe" } }, "field `user.shell` must be one of [cmd.exe powershell.exe pwsh.exe] for Windows guest, got `bash.exe`"],
    ["images", { images: [] }, "field `images` must be set"],
    ["image path", { images: [{ location: "~bob/x.img", arch: "x86_64" }] }, "field `images[0].location` refers to an invalid local file path: `~bob/x.img`: unexpandable path `~bob/x.img`"],
    ["image digest", { images: [{ ...IMAGE, digest: "sha256:abc" }] }, "field `images[0].digest` is invalid: sha256:abc: invalid checksum digest length"],
    ["kernel arch", { images: [{ ...IMAGE, kernel: { location: "/k", arch: "aarch64" } }] }, "images[0].kernel has unexpected architecture `aarch64`, must be `x86_64`"],
    ["memory", { memory: "lots" }, "field `memory` has an invalid value: invalid size: 'lots'"],
    ["disk", { disk: "1X" }, "field `disk` has an invalid value: invalid size: '1X'"],
    ["additional disk", { additionalDisks: [{ name: "bad name" }] }, "field `additionalDisks[0].name is invalid`: identifier `bad name` must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$"],
    ["relative mount", { mounts: [{ location: "rel/dir" }] }, "field `mounts[0].location` must be an absolute path, got `rel/dir`"],
    ["system mount point", { mounts: [{ location: "/srv", mountPoint: "/etc" }] }, "field `mounts[0].mountPoint` must not be a system path such as /etc or /usr"],
    ["home mount point", { mounts: [{ location: "/srv", mountPoint: "/home/alice.guest" }] }, "field `mounts[0].mountPoint` is the reserved internal home directory `/home/alice.guest`"],
    ["tilde mount point", { mounts: [{ location: "/srv", mountPoint: "~/x" }] }, "field `mounts[0].mountPoint` must not start with `~`"],
    ["msize", { mounts: [{ location: "/srv", "9p": { msize: "big" } }] }, "field `msize` has an invalid value: invalid size: 'big'"],
    ["ssh port 22", { ssh: { localPort: 22 } }, "field `ssh.localPort` must not be 22"],
    ["ssh port big", { ssh: { localPort: 70000 } }, "field `ssh.localPort` must be < 65536"],
    ["ssh port negative", { ssh: { localPort: -1 } }, "field `ssh.localPort` must be > 0"],
    ["mountType", { mountType: "nfs" as never }, "field `mountType` must be `reverse-sshfs` or `9p` or `virtiofs`, or `wsl2`, got `nfs`"],
    ["mountType unsupported", { mountType: "9p", mountTypesUnsupported: ["9p"] }, "field `mountType` must not be one of [9p] (`mountTypesUnsupported`), got `9p`"],
    ["provision mode", { provision: [{ mode: "root" as never, script: "x" }] }, "field `provision[0].mode` must one of `system`, `user`, `boot`, `data`, `dependency`, `ansible`, or `yq`"],
    ["skipDefaultDependencyResolution", { provision: [{ script: "x", skipDefaultDependencyResolution: true }] }, "field `provision[0].mode` cannot set skipDefaultDependencyResolution, only valid on scripts of type `dependency`"],
    ["windows provision", { os: "Windows", provision: [{ mode: "boot", script: "x" }] }, "provision mode `boot` is not supported on Windows VM"],
    ["relative data path", { provision: [{ mode: "data", path: "etc/x", content: "" }] }, "field `provision[0].path` must be an absolute path"],
    ["yq expression", { provision: [{ mode: "yq", path: "/etc/x" }] }, "field `provision[0].expression` must not be empty when mode is `yq`"],
    ["permissions", { provision: [{ mode: "data", path: "/x", content: "", permissions: "rw" }] }, 'field `provision[0].permissions` must be an octal number: strconv.ParseInt: parsing "rw": invalid syntax'],
    ["empty script", { provision: [{ script: "" }] }, "field `provision[0].script` must not be empty"],
    ["content outside data", { provision: [{ script: "x", content: "c" }] }, "field `provision[0].content` can only be set when mode is `data`"],
    ["owner outside data", { provision: [{ script: "x", owner: "me" }] }, "field `provision[0].owner` can only be set when mode is `data`"],
    ["path outside data", { provision: [{ script: "x", path: "/p" }] }, "field `provision[0].path` can only be set when mode is `data`, or `yq`"],
    ["permissions outside data", { provision: [{ script: "x", permissions: "600" }] }, "field `provision[0].permissions` can only be set when mode is `data`, or `yq`"],
    ["format outside yq", { provision: [{ script: "x", format: "json" }] }, "field `provision[0].format` can only be set when mode is `yq`"],
    ["file url", { provision: [{ file: { url: "a.sh" }, script: "x" }] }, "field `provision[0].file.url` must be empty during validation (script should already be embedded)"],
    ["playbook mode", { provision: [{ script: "x", playbook: "/nonexistent.yml" }] }, "field `provision[0].playbook can only be set when mode is `ansible`"],
    ["playbook path", { provision: [{ mode: "ansible", playbook: "/nonexistent.yml" }] }, "field `provision[0].playbook` refers to an inaccessible path: `/nonexistent.yml`: stat /nonexistent.yml: no such file or directory"],
    ["probe script", { probes: [{ script: "echo" }] }, "field `probe[0].script` must start with a '#!' line"],
    ["probe mode", { probes: [{ script: "#!/bin/sh", mode: "liveness" as never }] }, "field `probe[0].mode` can only be `readiness`"],
    ["guestIPMustBeZero", { portForwards: [{ guestIPMustBeZero: true, guestIP: "127.0.0.1" }] }, "field `portForwards[0].guestIPMustBeZero` can only be true when field `portForwards[0].guestIP` is 0.0.0.0"],
    ["guestPort with socket", { portForwards: [{ guestPort: 80, guestSocket: "/s", hostSocket: "/h" }] }, "field `portForwards[0].guestPort` must be 0 when field `portForwards[0].guestSocket` is set"],
    ["guestPort range mismatch", { portForwards: [{ guestPort: 80, guestPortRange: [81, 82] }] }, "field `portForwards[0].guestPort` must match field `portForwards[0].guestPortRange[0]`"],
    ["guest range order", { portForwards: [{ guestPortRange: [90, 80] }] }, "field `portForwards[0].guestPortRange[1]` must be greater than or equal to field `portForwards[0].guestPortRange[0]`"],
    ["range port 22", { portForwards: [{ guestPort: 22 }] }, "field `portForwards[0].guestPort` must not be 22"],
    ["relative guestSocket", { portForwards: [{ guestSocket: "run/s", hostSocket: "/h" }] }, "field `portForwards[0].guestSocket` must be an absolute path, but is `run/s`"],
    ["hostSocket range", { portForwards: [{ guestPortRange: [80, 81], hostSocket: "/h" }] }, "field `portForwards[0].hostSocket` can only be mapped from a single port or socket. not a range"],
    ["port counts", { portForwards: [{ guestPortRange: [80, 81], hostPortRange: [80, 90] }] }, "field `portForwards[0].hostPortRange` must specify the same number of ports as field `portForwards[0].guestPortRange`"],
    ["proto", { portForwards: [{ guestPort: 80, proto: "sctp" as never }] }, "field `portForwards[0].proto` must be `tcp`, `udp`, or `any`"],
    ["reverse", { portForwards: [{ guestPort: 80, reverse: true }] }, "field `portForwards[0].reverse` must be false"],
    ["long hostSocket", { portForwards: [{ guestSocket: "/s", hostSocket: `/${"x".repeat(120)}` }] }, "field `portForwards[0].hostSocket` must be less than UNIX_PATH_MAX=108 characters, but is 121"],
    ["copyToHost guest", { copyToHost: [{ guest: "rel", host: "/h" }] }, "field `CopyToHost[0].guest` must be an absolute path, but is `rel`"],
    ["copyToHost host", { copyToHost: [{ guest: "/g", host: "rel" }] }, "field `CopyToHost[0].host` must be an absolute path, but is `rel`"],
    ["dns with host resolver", { dns: ["1.1.1.1"] }, "field `dns` must be empty when field `HostResolver.Enabled` is true"],
    ["network unset", { networks: [{ interface: "x" }] }, "field `networks[0].lima` or  field `networks[0].socket must be set"],
    ["network macOS only", { networks: [{ lima: "shared" }] }, "field `networks[0].lima` is only supported on macOS right now"],
    ["network undefined", { networks: [{ lima: "nope" }] }, "network `nope` is not defined"],
    ["network exclusive", { networks: [{ lima: "user-v2", socket: "/s" }] }, "field `networks[0].lima` and field `networks[0].socket` are mutually exclusive"],
    ["socket vzNAT", { networks: [{ socket: "/nonexistent.sock", vzNAT: true }] }, "field `networks[0].socket` and field `networks[0].vzNAT` are mutually exclusive"],
    ["mac length", { networks: [{ socket: "/nonexistent.sock", macAddress: "00:00:5e:00:53:00:00:01" }] }, "field `networks[0].macAddress` must be a 48 bit (6 bytes) MAC address; actual length of `00:00:5e:00:53:00:00:01` is 8 bytes"],
    ["interface long", { networks: [{ socket: "/nonexistent.sock", interface: "averyveryverylongname" }] }, "field `networks[0].interface` must be less than 16 bytes, but is 21 bytes: `averyveryverylongname`"],
    ["interface slash", { networks: [{ socket: "/nonexistent.sock", interface: "a/b" }] }, "field `networks[0].interface` must not contain whitespace or slashes"],
    ["interface eth0", { networks: [{ socket: "/nonexistent.sock", interface: "eth0" }] }, "field `networks[0].interface` must not be set to `eth0` because it is reserved for slirp"],
    ["param name", { param: { "1x": "v" } }, "param `1x` name does not match regex `^[a-zA-Z][a-zA-Z0-9_]*$`"],
    ["param value", { param: { X: "a\u0007b" } }, "param `X` value contains unprintable character '\\a'"],
    ["sudo macOS", { os: "Darwin", user: { passwordlessSudo: true } }, "`user.passwordlessSudo: true` is not supported on macOS guests"],
    ["sudo wsl2", { vmType: "wsl2", plain: true, user: { passwordlessSudo: false } }, "`user.passwordlessSudo: false` is not supported on WSL2 guest"],
    ["sudo plain", { user: { passwordlessSudo: false } }, "`user.passwordlessSudo: false` requires `plain: true`"],
    ["tpm arch", { arch: "s390x", tpm: true }, "field `tpm` is not supported on architecture `s390x`"],
    ["vmType", { vmType: "bogus" }, "vmType `bogus` is not a registered driver; registered drivers: [qemu]"],
  ];
  for (const [name, y, expected] of cases) {
    it(`reports ${name}`, () => assertError(y, expected));
  }

  it("collects all errors, joined with newlines", () => {
    const message = errorsOf({ cpus: 2, memory: "x", disk: "y" });
    assert.deepEqual(message.split("\n"), ["field `memory` has an invalid value: invalid size: 'x'", "field `disk` has an invalid value: invalid size: 'y'"]);
  });
  it("stops at a data provision without path", () => {
    const message = errorsOf({ provision: [{ mode: "data", content: "x" }], dns: ["1.1.1.1"] });
    assert.equal(message, "field `provision[0].path` must not be empty when mode is `data`");
  });
  it("reports an invalid audio.interface alone", () => {
    assert.equal(errorsOf({ audio: { interface: "ac97" }, memory: "x" }), 'invalid audio.interface "ac97", must be "hda" or "virtio"');
  });
  it("cpus 0 on an unfilled config", () => {
    assert.match(errorsOf({ ...filled({}), cpus: 0 }, true), /field `cpus` must be set/);
  });
  it("accepts a socket network whose socket does not exist yet", () => assert.equal(errorsOf({ networks: [{ socket: "/nonexistent.sock" }] }), ""));
  it("flags a non-socket network file", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "lima-val-")), "f");
    writeFileSync(file, "");
    assertError({ networks: [{ socket: file }] }, `field \`networks[0].socket\` \`${file}\` points to a non-socket file`);
  });
  it("flags duplicate interfaces (possible only without merging)", () => {
    const y = { ...filled({}), networks: [{ socket: "/a.sock", interface: "x" }, { socket: "/b.sock", interface: "x" }] };
    assert.match(errorsOf(y, true), /^field `networks\[1\]\.interface` value `x` has already been used by field `networks\[0\]\.interface`$/);
  });
  it("requires containerd archives when containerd is enabled", () => {
    const y = filled({});
    y.containerd = { user: true, system: false, archives: [] };
    assert.equal(errorsOf(y, true), "field `containerd.archives` must be provided");
  });
  it("flags a non-directory mount location", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "lima-val-")), "f");
    writeFileSync(file, "");
    assertError({ mounts: [{ location: file }] }, `field \`mounts[0].location\` refers to a non-directory path: \`${file}\`: <nil>`);
  });
});

describe("validate warnings", () => {
  it("warns about experimental features and missing mount directories", () => {
    const warnings: string[] = [];
    errorsOf({ arch: "riscv64", mountInotify: true, video: { display: "vnc" }, audio: { device: "pa", interface: "hda" }, mounts: [{ location: "/nonexistent-dir" }] }, false, warnings);
    for (const expected of [
      "`arch: riscv64 ` is experimental",
      "`mountInotify` is experimental",
      "`video.display: vnc` is experimental",
      "`audio.device` is experimental",
      "`audio.interface` is experimental",
      "field `mounts[0].location` refers to a non-existent directory: `/nonexistent-dir`:",
    ]) {
      assert.ok(warnings.includes(expected), `missing ${expected} in ${JSON.stringify(warnings)}`);
    }
  });
  it("warns about wide plain-mode port rules and LIMA_CIDATA", () => {
    const warnings: string[] = [];
    const y = filled({ plain: true, portForwards: [{ guestPortRange: [1000, 2000], static: true }], provision: [{ script: "echo $LIMA_CIDATA_USER" }] });
    validate(y, { warn: false, registeredDrivers: ["qemu"], onWarning: (m) => warnings.push(m) });
    assert.ok(warnings.some((w) => w.startsWith("[plain mode] portForwards[0] covers a range of more than 10 ports (guest: 1001, host: 1001)")));
    assert.ok(warnings.includes("provisioning scripts should not reference the LIMA_CIDATA variables"));
  });
  it("warns about the deprecated ansible mode", () => {
    const warnings: string[] = [];
    errorsOf({ provision: [{ mode: "ansible", playbook: "/p.yml" }] }, false, warnings);
    assert.ok(warnings.includes("provision mode `ansible` is deprecated, use `ansible-playbook `/p.yml`` instead"));
  });
});

describe("validate with line numbers", () => {
  it("cites the main file line of the offending field", () => {
    captureLog();
    const limaHome = tempLimaHome();
    const filePath = path.join(limaHome, "inst", "lima.yaml");
    const text = `${IMAGE_YAML}memory: lots\nmounts:\n- location: /srv\n- location: /opt\n  mountPoint: /etc\n`;
    const loaded = loadYAML(text, filePath, { limaHome, context: testContext({ limaHome }) });
    assert.throws(
      () => validate(loaded.config, { warn: false, lineOf: loaded.lineOf, filePath, registeredDrivers: ["qemu"] }),
      { message: "field `memory` has an invalid value: invalid size: 'lots' (lima.yaml:4)\nfield `mounts[1].mountPoint` must not be a system path such as /etc or /usr (lima.yaml:8)" },
    );
  });
});

describe("validateParamIsUsed", () => {
  it("finds uses in probes, copyToHost, portForwards and mount points", () => {
    validateParamIsUsed({ param: { A: "", B: "", C: "", D: "" }, probes: [{ script: "{{.Param.A}}" }], copyToHost: [{ guest: "/x", host: "/{{ .Param.B }}" }], portForwards: [{ guestSocket: "/PARAM_C" }], mounts: [{ location: "/", mountPoint: "/{{.Param.D}}" }] });
  });
  it("needs a word boundary after PARAM_K", () => {
    assert.throws(() => validateParamIsUsed({ param: { A: "" }, provision: [{ script: "echo $PARAM_AB" }] }), /key `A` is not used/);
  });
});
