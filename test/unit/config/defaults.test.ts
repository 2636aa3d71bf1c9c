import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CONTAINERD_ARCHIVES, fillDefault, type FillContext } from "../../../src/config/defaults.js";
import { driverDefaultsQEMU, resolveVMType } from "../../../src/config/driverdefaults.js";
import { macAddress } from "../../../src/config/mac.js";
import type { LimaYAML } from "../../../src/config/types.js";
import { HOST_HOME, testContext } from "./helpers.js";

const FILE = "/lima/inst/lima.yaml";

function fill(y: LimaYAML, d: LimaYAML = {}, o: LimaYAML = {}, ctx: Partial<FillContext> = {}, warn = false) {
  const warnings: string[] = [];
  fillDefault(y, d, o, FILE, testContext(ctx), { warn, onWarning: (m) => warnings.push(m) });
  return { y, warnings };
}

describe("fillDefault built-in defaults", () => {
  const { y } = fill({});
  const table: [string, unknown][] = [
    ["vmType", "qemu"],
    ["os", "Linux"],
    ["arch", "x86_64"],
    ["cpus", 4],
    ["memory", "4GiB"],
    ["disk", "100GiB"],
    ["mountInotify", false],
    ["upgradePackages", false],
    ["guestInstallPrefix", "/usr/local"],
    ["propagateProxyEnv", true],
    ["plain", false],
    ["timezone", "Europe/Berlin"],
    ["nestedVirtualization", false],
    ["tpm", false],
  ];
  for (const [key, expected] of table) {
    it(`${key} defaults to ${JSON.stringify(expected)}`, () => assert.deepEqual(y[key as keyof LimaYAML], expected));
  }

  it("fills the user from the host", () => {
    assert.deepEqual(y.user, {
      name: "alice",
      comment: "Alice Liddell",
      home: "/home/alice.guest",
      shell: "/bin/bash",
      uid: 1001,
      passwordlessSudo: true,
    });
  });

  it("fills ssh, firmware, audio, video, hostResolver and caCerts", () => {
    assert.deepEqual(y.ssh, { localPort: 0, loadDotSSHPubKeys: false, forwardAgent: false, forwardX11: false, forwardX11Trusted: false });
    assert.deepEqual(y.firmware, { legacyBIOS: false, images: [] });
    assert.deepEqual(y.audio, { device: "", interface: "" });
    assert.deepEqual(y.video, { display: "none", vnc: {} });
    assert.deepEqual(y.hostResolver, { enabled: true, ipv6: false, hosts: {} });
    assert.deepEqual(y.caCerts, { removeDefaults: false, files: [], certs: [] });
  });

  it("fills containerd with user=true and the nerdctl-full archives", () => {
    assert.equal(y.containerd?.system, false);
    assert.equal(y.containerd?.user, true);
    assert.deepEqual(y.containerd?.archives, DEFAULT_CONTAINERD_ARCHIVES);
    assert.match(y.containerd?.archives?.[0]?.location ?? "", /nerdctl-full-2\.3\.5-linux-amd64\.tar\.gz$/);
    // Lima 2's pkg/limayaml/containerd.yaml, digests included.
    assert.equal(y.containerd?.archives?.[0]?.digest, "sha256:b697295c623639734aaab737523c808fd3cc8d3046039fd94fff1744e4c317aa");
    assert.equal(y.containerd?.archives?.[1]?.arch, "aarch64");
    assert.equal(y.containerd?.archives?.[1]?.digest, "sha256:6e4b687f1d138e750a3c8372abc0f81d3d7490b6359c48c0562fc7dfe98859b2");
  });

  it("leaves mountType and ssh.overVsock unset (driver defaults)", () => {
    assert.equal(y.mountType, undefined);
    assert.equal(y.ssh?.overVsock, undefined);
  });
});

describe("fillDefault host-dependent defaults", () => {
  it("cpus is min(4, host cpus)", () => assert.equal(fill({}, {}, {}, { cpus: 2 }).y.cpus, 2));
  it("cpus 0 means default", () => assert.equal(fill({ cpus: 0 }).y.cpus, 4));
  it("memory is half of small host RAM, formatted by BytesSize", () => {
    assert.equal(fill({}, {}, {}, { memoryBytes: 7.646 * 1024 ** 3 }).y.memory, "3.823GiB");
  });
  it("empty memory/disk strings mean default", () => {
    const { y } = fill({ memory: "", disk: "" });
    assert.equal(y.memory, "4GiB");
    assert.equal(y.disk, "100GiB");
  });
  it("vmType is vz on macOS hosts", () => assert.equal(fill({}, {}, {}, { hostOS: "darwin", hostArch: "aarch64" }).y.vmType, "vz"));
  it("vmType is qemu on macOS for a non-native arch", () => {
    assert.equal(fill({ arch: "x86_64" }, {}, {}, { hostOS: "darwin", hostArch: "aarch64" }).y.vmType, "qemu");
  });
  it("arch `default` resolves to the host arch", () => assert.equal(fill({ arch: "default" as never }, {}, {}, { hostArch: "aarch64" }).y.arch, "aarch64"));
  it("os `default` resolves to Linux", () => assert.equal(fill({ os: "default" as never }).y.os, "Linux"));
  it("containerd.user is false for riscv64 and non-Linux guests", () => {
    assert.equal(fill({ arch: "riscv64" }).y.containerd?.user, false);
    assert.equal(fill({ os: "FreeBSD" }).y.containerd?.user, false);
  });
  it("timezone falls back to empty with a warning when undeterminable", () => {
    const { y, warnings } = fill({}, {}, {}, { timezone: undefined });
    assert.equal(y.timezone, "");
    assert.ok(warnings.includes("unable to determine host timezone, falling back to default value"));
  });
});

describe("fillDefault user", () => {
  it("replaces an invalid host user name by lima with Lima's warning", () => {
    const { y, warnings } = fill({}, {}, {}, { user: { name: "Alice.Smith", uid: 501, comment: "", home: HOST_HOME } }, true);
    assert.equal(y.user?.name, "lima");
    assert.ok(
      warnings.includes("local username `Alice.Smith` is not a valid Linux username (must match `^[a-z_][a-z0-9_-]*$`); using `lima` instead"),
    );
  });
  it("does not warn unless warnings are enabled", () => {
    const { warnings } = fill({}, {}, {}, { user: { name: "Alice.Smith", uid: 501, comment: "", home: HOST_HOME } });
    assert.deepEqual(warnings, []);
  });
  it("maps a root host user to lima/1000 (deliberate deviation)", () => {
    const { y } = fill({}, {}, {}, { user: { name: "root", uid: 0, comment: "root", home: "/root" } });
    assert.equal(y.user?.name, "lima");
    assert.equal(y.user?.uid, 1000);
    assert.equal(y.user?.home, "/home/lima.guest");
  });
  it("remaps admin to lima for instances created by >= 1.0.0", () => {
    const admin = { name: "admin", uid: 501, comment: "", home: HOST_HOME };
    assert.equal(fill({}, {}, {}, { user: admin, instanceVersion: "1.0.0" }).y.user?.name, "lima");
    assert.equal(fill({}, {}, {}, { user: admin, instanceVersion: "0.23.2" }).y.user?.name, "admin");
  });
  it("uses .linux homes for instances created before 2.1.0 and without lima-version", () => {
    assert.equal(fill({}, {}, {}, { instanceVersion: "2.0.3" }).y.user?.home, "/home/alice.linux");
    assert.equal(fill({}, {}, {}, { instanceVersion: undefined }).y.user?.home, "/home/alice.linux");
  });
  it("uses .guest homes for 2.1.0, git-describe builds and unknown versions", () => {
    assert.equal(fill({}, {}, {}, { instanceVersion: "2.1.0" }).y.user?.home, "/home/alice.guest");
    assert.equal(fill({}, {}, {}, { instanceVersion: "v2.1.0-12-gdeadbee" }).y.user?.home, "/home/alice.guest");
    assert.equal(fill({}, {}, {}, { instanceVersion: "<unknown>" }).y.user?.home, "/home/alice.guest");
  });
  it("uses /Users homes, zsh and no passwordless sudo for macOS guests", () => {
    const { y } = fill({ os: "Darwin" });
    assert.equal(y.user?.home, "/Users/alice.guest");
    assert.equal(y.user?.shell, "/bin/zsh");
    assert.equal(y.user?.passwordlessSudo, false);
  });
  it("picks the shell per guest OS", () => {
    assert.equal(fill({ os: "FreeBSD" }).y.user?.shell, "/bin/sh");
    assert.equal(fill({ os: "Windows" }).y.user?.shell, "cmd.exe");
  });
  it("renders an explicit home template with the explicit user name", () => {
    assert.equal(fill({ user: { name: "bob", home: "/srv/{{.User}}-{{.UID}}" } }).y.user?.home, "/srv/bob-1001");
  });
  it("keeps an explicit user name unvalidated", () => assert.equal(fill({ user: { name: "Bob.X" } }).y.user?.name, "Bob.X"));
});

describe("fillDefault merge order", () => {
  it("scalars: override > main > default > built-in", () => {
    assert.equal(fill({ cpus: 2 }, { cpus: 3 }, { cpus: 1 }).y.cpus, 1);
    assert.equal(fill({ cpus: 2 }, { cpus: 3 }).y.cpus, 2);
    assert.equal(fill({}, { cpus: 3 }).y.cpus, 3);
    assert.equal(fill({ plain: false }, {}, {}).y.plain, false);
    assert.equal(fill({ user: { shell: "/bin/zsh" } }, { user: { shell: "/bin/sh", uid: 42 } }).y.user?.shell, "/bin/zsh");
    assert.equal(fill({}, { user: { uid: 42 } }).y.user?.uid, 42);
  });
  it("lists are concatenated override, main, default", () => {
    const image = (location: string) => ({ location, arch: "x86_64" as const });
    const { y } = fill({ images: [image("y")] }, { images: [image("d")] }, { images: [image("o")] });
    assert.deepEqual(y.images?.map((i) => i.location), ["o", "y", "d"]);
  });
  it("provision, probes, portForwards, copyToHost, additionalDisks follow o, y, d", () => {
    const { y } = fill(
      { provision: [{ script: "y" }], probes: [{ script: "#!y" }], portForwards: [{ guestPort: 2 }], copyToHost: [{ guest: "/y", host: "/y" }], additionalDisks: [{ name: "y" }] },
      { provision: [{ script: "d" }], probes: [{ script: "#!d" }], portForwards: [{ guestPort: 3 }], copyToHost: [{ guest: "/d", host: "/d" }], additionalDisks: [{ name: "d" }] },
      { provision: [{ script: "o" }], probes: [{ script: "#!o" }], portForwards: [{ guestPort: 1 }], copyToHost: [{ guest: "/o", host: "/o" }], additionalDisks: [{ name: "o" }] },
    );
    assert.deepEqual(y.provision?.map((p) => p.script), ["o", "y", "d"]);
    assert.deepEqual(y.probes?.map((p) => p.script), ["#!o", "#!y", "#!d"]);
    assert.deepEqual(y.portForwards?.map((p) => p.guestPort), [1, 2, 3]);
    assert.deepEqual(y.copyToHost?.map((p) => p.guest), ["/o", "/y", "/d"]);
    assert.deepEqual(y.additionalDisks?.map((p) => p.name), ["o", "y", "d"]);
  });
  it("containerd archives from sources replace the built-in list", () => {
    const { y } = fill({}, { containerd: { archives: [{ location: "/nerdctl.tgz" }] } });
    assert.deepEqual(y.containerd?.archives, [{ location: "/nerdctl.tgz", arch: "x86_64" }]);
  });
  it("mounts are merged by mountPoint, the highest priority setting winning", () => {
    const { y } = fill(
      { mounts: [{ location: "/data", writable: false }, { location: "/y-only" }] },
      { mounts: [{ location: "/data", sshfs: { cache: false } }] },
      { mounts: [{ location: "/data", writable: true }] },
    );
    assert.deepEqual(y.mounts?.map((m) => m.location), ["/data", "/y-only"]);
    assert.equal(y.mounts?.[0]?.writable, true);
    assert.equal(y.mounts?.[0]?.sshfs?.cache, false);
    assert.equal(y.mounts?.[0]?.["9p"]?.cache, "mmap");
  });
  it("mounts with different mountPoints are kept apart (default first)", () => {
    const { y } = fill({ mounts: [{ location: "/y" }] }, { mounts: [{ location: "/d" }] }, { mounts: [{ location: "/o" }] });
    assert.deepEqual(y.mounts?.map((m) => m.mountPoint), ["/d", "/y", "/o"]);
  });
  it("networks are merged by interface: later socket replaces lima, metric/mac overwrite", () => {
    const { y } = fill(
      { networks: [{ interface: "en1", socket: "/var/run/vmnet.sock", metric: 50 }] },
      { networks: [{ interface: "en1", lima: "shared", macAddress: "52:55:55:00:00:01" }] },
      { networks: [{ interface: "en1", metric: 10 }] },
    );
    assert.equal(y.networks?.length, 1);
    assert.deepEqual(y.networks?.[0], { interface: "en1", socket: "/var/run/vmnet.sock", macAddress: "52:55:55:00:00:01", metric: 10 });
  });
  it("networks without interface are not merged", () => {
    const { y } = fill({ networks: [{ lima: "shared" }] }, { networks: [{ lima: "shared" }] });
    assert.deepEqual(y.networks?.map((n) => n.interface), ["lima0", "lima1"]);
  });
  it("dns takes the highest-priority non-empty list", () => {
    assert.deepEqual(fill({ dns: ["1.1.1.1"] }, { dns: ["8.8.8.8"] }).y.dns, ["1.1.1.1"]);
    assert.deepEqual(fill({ dns: [] }, { dns: ["8.8.8.8"] }).y.dns, ["8.8.8.8"]);
    assert.deepEqual(fill({ dns: ["1.1.1.1"] }, {}, { dns: ["9.9.9.9"] }).y.dns, ["9.9.9.9"]);
  });
  it("maps are merged default, main, override per top-level key", () => {
    const { y } = fill(
      { env: { A: "y", B: "y" }, vmOpts: { qemu: { minimumVersion: "8.0.0" } }, hostResolver: { hosts: { h: "y" } } },
      { env: { A: "d", C: "d" }, vmOpts: { vz: { diskImageFormat: "raw" } }, hostResolver: { hosts: { h: "d", g: "d" } } },
      { env: { B: "o" }, vmOpts: { qemu: { cpuType: { x86_64: "host" } } } },
    );
    assert.deepEqual(y.env, { A: "y", C: "d", B: "o" });
    assert.deepEqual(y.vmOpts, { vz: { diskImageFormat: "raw" }, qemu: { cpuType: { x86_64: "host" } } });
    assert.deepEqual(y.hostResolver?.hosts, { h: "y", g: "d" });
  });
  it("caCerts files and certs are concatenated d, y, o without duplicates", () => {
    const { y } = fill({ caCerts: { files: ["b", "a"] } }, { caCerts: { files: ["a"], certs: ["X"] } }, { caCerts: { files: ["c", "b"], certs: ["X", "Y"] } });
    assert.deepEqual(y.caCerts?.files, ["a", "b", "c"]);
    assert.deepEqual(y.caCerts?.certs, ["X", "Y"]);
  });
  it("does not modify the default and override configs", () => {
    const d: LimaYAML = { mounts: [{ location: "~" }], provision: [{ script: "x" }] };
    fill({}, d);
    assert.deepEqual(d, { mounts: [{ location: "~" }], provision: [{ script: "x" }] });
  });
});

describe("fillDefault list item defaults", () => {
  it("mount defaults: ~ expanded, mountPoint = location, sshfs/9p defaults", () => {
    const { y } = fill({ mounts: [{ location: "~/src/" }] });
    assert.deepEqual(y.mounts?.[0], {
      location: `${HOST_HOME}/src`,
      mountPoint: `${HOST_HOME}/src`,
      writable: false,
      sshfs: { cache: true, followSymlinks: false, sftpDriver: "" },
      "9p": { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cache: "fscache" },
      virtiofs: {},
    });
  });
  it("mount location and mountPoint are host and guest templates", () => {
    const { y } = fill({ mounts: [{ location: "{{.Dir}}/share-{{.Name}}", mountPoint: "/mnt/{{.User}}/{{.Hostname}}" }] });
    assert.equal(y.mounts?.[0]?.location, "/lima/inst/share-inst");
    assert.equal(y.mounts?.[0]?.mountPoint, "/mnt/alice/lima-inst");
  });
  it("provision defaults per mode", () => {
    const { y } = fill({
      provision: [
        { script: "s" },
        { mode: "data", path: "/etc/{{.User}}", content: "uid={{.UID}}" },
        { mode: "yq", path: "/etc/x.yaml", expression: ".a = \"{{.Home}}\"" },
        { mode: "dependency", script: "d" },
      ],
    });
    assert.equal(y.provision?.[0]?.mode, "system");
    assert.deepEqual(y.provision?.[1], { mode: "data", path: "/etc/alice", content: "uid=1001", overwrite: true, owner: "root:root", permissions: "644", script: "" });
    assert.equal(y.provision?.[2]?.format, "auto");
    assert.equal(y.provision?.[2]?.expression, '.a = "/home/alice.guest"');
    assert.equal(y.provision?.[3]?.skipDefaultDependencyResolution, false);
  });
  it("data owner is root:wheel for FreeBSD guests", () => {
    assert.equal(fill({ os: "FreeBSD", provision: [{ mode: "data", path: "/x", content: "" }] }).y.provision?.[0]?.owner, "root:wheel");
  });
  it("probe defaults: readiness and `user probe i/N`", () => {
    const { y } = fill({ probes: [{ script: "#!/bin/sh\ntrue" }, { script: "#!/bin/sh\n{{.Param.X}}", description: "mine" }], param: { X: "x" } });
    assert.deepEqual(y.probes?.map((p) => [p.mode, p.description]), [["readiness", "user probe 1/2"], ["readiness", "mine"]]);
    assert.equal(y.probes?.[1]?.script, "#!/bin/sh\nx");
  });
  it("port forward defaults for a single port", () => {
    const { y } = fill({ portForwards: [{ guestPort: 80 }] });
    assert.deepEqual(y.portForwards?.[0], {
      guestPort: 80,
      proto: "any",
      guestIP: "127.0.0.1",
      guestIPMustBeZero: false,
      hostIP: "127.0.0.1",
      guestPortRange: [80, 80],
      hostPortRange: [80, 80],
    });
  });
  it("port forward defaults: all ports, guestIPMustBeZero, hostPort", () => {
    const { y } = fill({ portForwards: [{ ignore: true }, { guestIPMustBeZero: true, guestPort: 443, hostPort: 8443 }, { guestIP: "0.0.0.0" }] });
    assert.deepEqual(y.portForwards?.[0]?.guestPortRange, [1, 65535]);
    assert.deepEqual(y.portForwards?.[0]?.hostPortRange, [1, 65535]);
    assert.equal(y.portForwards?.[1]?.guestIP, "0.0.0.0");
    assert.deepEqual(y.portForwards?.[1]?.hostPortRange, [8443, 8443]);
    assert.equal(y.portForwards?.[2]?.guestIPMustBeZero, true);
  });
  it("port forward sockets: templates and relative host sockets below $INST/sock", () => {
    const { y } = fill({
      portForwards: [
        { guestSocket: "/run/user/{{.UID}}/docker.sock", hostSocket: "docker.sock" },
        { guestSocket: "/run/x.sock", hostSocket: "{{.Home}}/{{.Name}}.sock" },
      ],
    });
    assert.equal(y.portForwards?.[0]?.guestSocket, "/run/user/1001/docker.sock");
    assert.equal(y.portForwards?.[0]?.hostSocket, "/lima/inst/sock/docker.sock");
    assert.equal(y.portForwards?.[0]?.hostPortRange, undefined);
    assert.equal(y.portForwards?.[1]?.hostSocket, `${HOST_HOME}/inst.sock`);
  });
  it("copyToHost guest and host templates", () => {
    const { y } = fill({ copyToHost: [{ guest: "/home/{{.User}}.guest/k", host: "{{.Dir}}/copied/{{.Param.F}}" }], param: { F: "kubeconfig" } });
    assert.deepEqual(y.copyToHost?.[0], { guest: "/home/alice.guest/k", host: "/lima/inst/copied/kubeconfig" });
  });
  it("host templates see GlobalTempDir, TempDir, Instance, LimaHome and the host UID", () => {
    const { y } = fill({ mounts: [{ location: "{{.GlobalTempDir}}/{{.TempDir}}/{{.Instance}}/{{.UID}}", mountPoint: "/m" }, { location: "{{.LimaHome}}/x" }] });
    assert.equal(y.mounts?.[0]?.location, "/tmp/var/tmp/inst/1001");
    assert.equal(y.mounts?.[1]?.location, "/lima/x");
  });
  it("network defaults: interface lima<i>, metric 100, MAC from lima.yaml path#i", () => {
    const { y } = fill({ networks: [{ lima: "user-v2" }, { socket: "/s", interface: "vm1" }] });
    assert.deepEqual(y.networks?.[0], { lima: "user-v2", interface: "lima0", metric: 100, macAddress: macAddress(`${FILE}#0`, "0123456789abcdef") });
    assert.equal(y.networks?.[1]?.interface, "vm1");
    assert.notEqual(y.networks?.[0]?.macAddress, y.networks?.[1]?.macAddress);
  });
  it("additional disks default to format true and ext4", () => {
    assert.deepEqual(fill({ additionalDisks: [{ name: "data" }] }).y.additionalDisks, [{ name: "data", format: true, fsType: "ext4" }]);
  });
  it("image, kernel and initrd arch default to the config / image arch", () => {
    const { y } = fill({ arch: "aarch64", images: [{ location: "a", kernel: { location: "k" }, initrd: { location: "i" } }, { location: "b", arch: "x86_64", kernel: { location: "k" } }] });
    assert.equal(y.images?.[0]?.arch, "aarch64");
    assert.equal(y.images?.[0]?.kernel?.arch, "aarch64");
    assert.equal(y.images?.[0]?.initrd?.arch, "aarch64");
    assert.equal(y.images?.[1]?.kernel?.arch, "x86_64");
  });
  it("params from default and override are merged and visible to templates", () => {
    const { y } = fill({ param: { A: "y" }, provision: [{ script: "{{.Param.A}}{{.Param.B}}" }] }, { param: { B: "d" } }, { param: { A: "o" } });
    assert.deepEqual(y.param, { A: "o", B: "d" });
    assert.equal(y.provision?.[0]?.script, "od");
  });
  it("a broken template keeps the value and warns", () => {
    const { y, warnings } = fill({ provision: [{ script: "echo {{.Nope" }] });
    assert.equal(y.provision?.[0]?.script, "echo {{.Nope");
    assert.match(warnings[0] ?? "", /^Couldn't process provisioning script `echo \{\{\.Nope` as a template/);
  });
  it("user.home has no .Home (Go renders the missing map key as <no value>)", () => {
    assert.equal(fill({ user: { home: "{{.Home}}/x" } }).y.user?.home, "<no value>/x");
  });
  it("a broken user.home template warns and is kept", () => {
    const { y, warnings } = fill({ user: { home: "/home/{{.User" } });
    assert.equal(y.user?.home, "/home/{{.User");
    assert.match(warnings[0] ?? "", /^Couldn't process `user.home` value `\/home\/\{\{\.User` as a template/);
  });
});

describe("plain mode fix-ups", () => {
  it("drops mounts, non-static forwards, containerd and timezone", () => {
    const { y } = fill({ plain: true, mounts: [{ location: "/x" }], portForwards: [{ guestPort: 1 }, { guestPort: 2, static: true }], containerd: { user: true, system: true } });
    assert.deepEqual(y.mounts, []);
    assert.deepEqual(y.portForwards?.map((p) => p.guestPort), [2]);
    assert.equal(y.containerd?.user, false);
    assert.equal(y.containerd?.system, false);
    assert.equal(y.timezone, "");
  });
  it("plain from override.yaml applies too", () => {
    assert.deepEqual(fill({ mounts: [{ location: "/x" }] }, {}, { plain: true }).y.mounts, []);
  });
});

describe("LIMA_SSH_OVER_VSOCK", () => {
  it("overrides ssh.overVsock with a deprecation warning", () => {
    const { y, warnings } = fill({ ssh: { overVsock: true } }, {}, {}, { sshOverVsockEnv: "false" });
    assert.equal(y.ssh?.overVsock, false);
    assert.match(warnings[0] ?? "", /LIMA_SSH_OVER_VSOCK is deprecated/);
  });
});

describe("driverDefaultsQEMU", () => {
  const filled = (y: LimaYAML) => fill(y).y;
  it("defaults mountType to 9p and the VNC display", () => {
    const y = filled({});
    driverDefaultsQEMU(y, "2.2.0", "linux", () => {});
    assert.equal(y.mountType, "9p");
    assert.equal(y.video?.vnc?.display, "127.0.0.1:0,to=9");
  });
  it("uses reverse-sshfs when 9p is unsupported, on Windows hosts and for pre-1.0 instances", () => {
    for (const [y, version, hostOS] of [
      [filled({ mountTypesUnsupported: ["9p"] }), "2.2.0", "linux"],
      [filled({}), "2.2.0", "windows"],
      [filled({}), "0.23.0", "linux"],
      [filled({}), undefined, "linux"],
    ] as const) {
      driverDefaultsQEMU(y, version, hostOS, () => {});
      assert.equal(y.mountType, "reverse-sshfs");
    }
  });
  it("keeps an explicit mountType; `default` is resolved", () => {
    const y = filled({ mountType: "virtiofs", mounts: [{ location: "/a" }] });
    driverDefaultsQEMU(y, "2.2.0", "linux", () => {});
    assert.equal(y.mountType, "virtiofs");
    assert.equal(y.mounts?.[0]?.virtiofs?.queueSize, 1024);
    const z = filled({ mountType: "default" as never });
    driverDefaultsQEMU(z, "2.2.0", "linux", () => {});
    assert.equal(z.mountType, "9p");
  });
  it("rejects an explicitly unsupported mount type", () => {
    const y = filled({ mountType: "virtiofs", mountTypesUnsupported: ["virtiofs"] });
    assert.throws(() => driverDefaultsQEMU(y, "2.2.0", "linux", () => {}), { message: "mount type `virtiofs` is explicitly unsupported" });
  });
  it("migrates the top-level cpuType into vmOpts.qemu.cpuType with a warning", () => {
    const warnings: string[] = [];
    const y = filled({ cpuType: { x86_64: "qemu64", aarch64: "cortex-a72" }, vmOpts: { qemu: { cpuType: { aarch64: "max" } } } });
    driverDefaultsQEMU(y, "2.2.0", "linux", (m) => warnings.push(m));
    assert.equal(y.cpuType, undefined);
    assert.deepEqual(y.vmOpts?.qemu?.cpuType, { aarch64: "max", x86_64: "qemu64" });
    assert.equal(warnings[0], "The top-level `cpuType` field is deprecated and will be removed in a future release. Please migrate to `vmOpts.qemu.cpuType`.");
    assert.match(warnings[1] ?? "", /^Conflicting cpuType for arch `aarch64`/);
  });
});

describe("resolveVMType", () => {
  it("accepts built-in and registered drivers, rejects others", () => {
    const ctx = testContext();
    const y: LimaYAML = { arch: "x86_64" };
    resolveVMType(y, ctx, ["qemu"]);
    assert.equal(y.vmType, "qemu");
    resolveVMType({ vmType: "krunkit" }, ctx, ["qemu", "krunkit"]);
    assert.throws(() => resolveVMType({ vmType: "foo" }, ctx, ["qemu"]), { message: "vmType `foo` is not a registered driver" });
  });
});

describe("macAddress", () => {
  it("is 52:55:55 plus three bytes of SHA-256(machine-id + seed)", () => {
    // sha256("abc") starts with ba7816
    assert.equal(macAddress("c", "ab"), "52:55:55:ba:78:16");
    assert.match(macAddress("/x/lima.yaml#0"), /^52:55:55(:[0-9a-f]{2}){3}$/);
  });
});
