import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { type CidataOptions, generateCidata, writeCloudConfig } from "../../../src/cidata/index.js";
import { driverScriptEntries, provisionEntries } from "../../../src/cidata/layout.js";
import { PUB_KEY, typicalInstance } from "./fixtures.js";

const BOOT_MODULES = [
  "00-modprobe.sh",
  "00-reboot-if-required.sh",
  "00-systemd-user-group.sh",
  "05-guest-home.sh",
  "05-lima-disks.sh",
  "05-mount-points.sh",
  "06-enable-mdns-on-systemd.sh",
  "06-etc-hosts.sh",
  "07-etc-environment.sh",
  "09-host-dns-setup.sh",
  "11-colorterm-environment.sh",
  "20-rootless-base.sh",
  "25-guestagent-base.sh",
  "26-host-services.sh",
  "30-install-packages.sh",
  "35-setup-packages.sh",
  "40-install-containerd.sh",
];

function options(extra: Partial<CidataOptions> = {}): CidataOptions {
  return {
    iid: "iid-1700000000",
    sshLocalPort: 60022,
    udpDNSLocalPort: 40001,
    tcpDNSLocalPort: 40002,
    pubKeys: [PUB_KEY],
    debug: false,
    vsockPort: 0,
    virtioPort: "",
    noCloudInit: false,
    rosettaEnabled: false,
    rosettaBinFmt: false,
    ...extra,
  };
}

/** Relative path -> permission bits, for every file below dir. */
async function fileModes(dir: string): Promise<Map<string, number>> {
  const modes = new Map<string, number>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    modes.set(path.relative(dir, full), (await stat(full)).mode & 0o777);
  }
  return modes;
}

describe("generateCidata", () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "cidata-test-"));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("writes a Rock Ridge ISO labelled cidata with every file and mode", async () => {
    const instDir = path.join(tmp, "iso");
    await mkdir(instDir, { recursive: true });
    const agent = path.join(tmp, "lima-guestagent.Linux-x86_64.gz");
    await writeFile(agent, gzipSync(Buffer.from("#!/bin/sh\necho agent\n")));
    const inst = typicalInstance(instDir, os.homedir());
    const result = await generateCidata(
      inst,
      options({ guestAgentBinary: agent, driverBootScripts: { "boot.Linux/05-driver.sh": Buffer.from("#!/bin/sh\n"), "bare.sh": Buffer.from("#!/bin/sh\n") } }),
    );
    assert.deepEqual(result, { iid: "iid-1700000000" });

    const iso = path.join(instDir, "cidata.iso");
    const label = execFileSync("isoinfo", ["-d", "-i", iso], { encoding: "utf8" });
    assert.match(label, /Volume id: cidata\n/);
    assert.match(label, /Rock Ridge signatures version 1 found/);

    const out = path.join(tmp, "iso-extracted");
    execFileSync("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", "/", out], { stdio: "ignore" });
    const modes = await fileModes(out);
    const expected = new Map<string, number>([
      ["user-data", 0o644],
      ["meta-data", 0o644],
      ["network-config", 0o644],
      ["lima.env", 0o644],
      ["param.env", 0o644],
      ["etc_environment", 0o644],
      ["boot.sh", 0o755],
      ["util/compare_version.sh", 0o755],
      ...BOOT_MODULES.map((m): [string, number] => [`boot.Linux/${m}`, 0o755]),
      ["boot.Linux/05-driver.sh", 0o755],
      ["boot.Linux/bare.sh", 0o755],
      ["provision.system/00000000", 0o755],
      ["provision.data/00000002", 0o644],
      ["provision.user/00000003", 0o755],
      ["provision.dependency/00000004", 0o755],
      ["provision.yq/00000005", 0o644],
      ["lima-guestagent", 0o755],
    ]);
    assert.deepEqual(new Map([...modes].sort()), new Map([...expected].sort()));

    assert.equal(await readFile(path.join(out, "lima-guestagent"), "utf8"), "#!/bin/sh\necho agent\n");
    assert.equal(await readFile(path.join(out, "meta-data"), "utf8"), "instance-id: iid-1700000000\nlocal-hostname: lima-default\n");
    assert.equal(await readFile(path.join(out, "provision.data/00000002"), "utf8"), "key=value\n");
    assert.equal(await readFile(path.join(out, "provision.yq/00000005"), "utf8"), ".a = 1");
    assert.equal(await readFile(path.join(out, "param.env"), "utf8"), "PARAM_GREETING=hello\n");
    const limaEnv = await readFile(path.join(out, "lima.env"), "utf8");
    assert.match(limaEnv, /^LIMA_CIDATA_IID=iid-1700000000$/m);
    assert.match(limaEnv, new RegExp(`^LIMA_CIDATA_HOSTHOME_MOUNTPOINT=${os.homedir()}$`, "m"));
    assert.match(limaEnv, /^LIMA_CIDATA_DATAFILE_00000002_OVERWRITE=false$/m);
    const bootSh = await readFile(path.join(out, "boot.sh"), "utf8");
    assert.equal(bootSh, await readFile(new URL("../../../src/cidata/boot/boot.sh", import.meta.url), "utf8"));

    const cloudConfig = path.join(instDir, "cloud-config.yaml");
    assert.equal((await stat(cloudConfig)).mode & 0o777, 0o444);
    const userData = await readFile(path.join(out, "user-data"), "utf8");
    const config = await readFile(cloudConfig, "utf8");
    assert.match(userData, /\nmounts:\n/);
    assert.match(userData, /\nwrite_files:\n/);
    assert.doesNotMatch(config, /mounts:|write_files:|resolv_conf:/);
    assert.match(config, /ssh-authorized-keys:\n {6}- "ssh-ed25519 /);
  });

  it("writes the cidata directory (mode 0700) with ssh_authorized_keys for noCloudInit drivers", async () => {
    const instDir = path.join(tmp, "dir");
    await mkdir(path.join(instDir, "cidata", "stale"), { recursive: true });
    const inst = typicalInstance(instDir, os.homedir());
    await generateCidata(inst, options({ noCloudInit: true, pubKeys: [PUB_KEY, "ssh-rsa AAAAB second"] }));
    const dir = path.join(instDir, "cidata");
    const modes = await fileModes(dir);
    assert.ok([...modes.values()].every((mode) => mode === 0o700));
    assert.ok(modes.has("boot.Linux/07-etc-environment.sh"));
    assert.equal(await readFile(path.join(dir, "ssh_authorized_keys"), "utf8"), `${PUB_KEY}\nssh-rsa AAAAB second`);
    assert.equal((await stat(path.join(dir, "boot.Linux"))).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(path.join(dir)).then((names) => names.includes("stale")), false);
    assert.match(await readFile(path.join(dir, "lima.env"), "utf8"), /^LIMA_CIDATA_NO_CLOUD_INIT=1$/m);
  });

  it("writeCloudConfig replaces a read-only file", async () => {
    const instDir = path.join(tmp, "cc");
    await mkdir(instDir, { recursive: true });
    const file = path.join(instDir, "cloud-config.yaml");
    await writeFile(file, "old", { mode: 0o444 });
    await writeCloudConfig(typicalInstance(instDir, os.homedir()), { pubKeys: [PUB_KEY] });
    const text = await readFile(file, "utf8");
    assert.match(text, /^#cloud-config\n/);
    assert.match(text, /\nbootcmd:\n/);
    const windows = typicalInstance(instDir, os.homedir());
    windows.config = { ...windows.config, os: "Windows" };
    await writeCloudConfig(windows, { pubKeys: [PUB_KEY] });
    await assert.rejects(stat(file), { code: "ENOENT" });
  });
});

describe("layout", () => {
  it("rejects driver script names that are not boot.<OS>/<script>", () => {
    assert.throws(() => driverScriptEntries({ "foo/bar.sh": new Uint8Array() }), /invalid boot script filename `foo\/bar\.sh`/);
    assert.throws(() => driverScriptEntries({ "boot.Linux/a/b.sh": new Uint8Array() }), /must be in format 'boot\.<OS>\/<SCRIPT>'/);
  });

  it("rejects unknown provision modes", () => {
    assert.throws(() => provisionEntries([{ mode: "bogus" as "system" }]), /unknown provision mode `bogus`/);
  });
});
