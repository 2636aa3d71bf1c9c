// Boots the test guest as a libvirt domain through the external driver lima-driver-libvirt
// (`limactl create --vm-type=libvirt`), on libvirt's default connection (qemu:///system for
// root: .ci/run starts libvirtd), and checks that limactl and libvirt agree about it; then
// once more as a "remote" host: qemu+ssh through a private sshd on this machine, the files
// uploaded into a storage pool, SSH at the address the driver reports.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { domainName } from "../../src/driver/libvirt/options.js";
import { BOOT_MS, ensureGuestImage, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LimaHome } from "../helpers/limactl.js";

const NAME = "lv";
const virshMissing = spawnSync("virsh", ["--version"]).error !== undefined;
const skip = virshMissing ? "virsh is not installed (Debian: libvirt-clients; scripts/install-deps.sh installs it)" : false;

function virsh(...args: string[]): { code: number; out: string } {
  const res = spawnSync("virsh", args, { encoding: "utf8" });
  return { code: res.status ?? 1, out: `${res.stdout}${res.stderr}` };
}

describe("the libvirt driver", { skip, timeout: 40 * 60_000 }, () => {
  const home = new LimaHome();
  const dir = path.join(home.dir, NAME);
  const domain = domainName(NAME, dir);
  const status = async (): Promise<string> => (await home.limactl(["ls", "--format", "{{.Status}}", NAME])).stdout.trim();

  before(() => {
    ensureGuestImage();
    const reachable = virsh("version");
    assert.equal(reachable.code, 0, `libvirtd does not answer on libvirt's default connection (start it: scripts/start-libvirtd.sh): ${reachable.out}`);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
  });

  it("lists itself among the drivers", async () => {
    const info = JSON.parse((await home.limactl(["info"])).stdout) as { vmTypes: string[] };
    assert.ok(info.vmTypes.includes("libvirt"), JSON.stringify(info.vmTypes));
  });

  it("boots the test guest as a libvirt domain and runs limactl shell in it", async () => {
    const created = await home.limactl(["create", "--name", NAME, "--vm-type=libvirt", GUEST_TEMPLATE]);
    assert.equal(created.code, 0, created.stderr);
    const t0 = Date.now();
    const started = await home.limactl(["start", NAME], { timeoutMs: BOOT_MS });
    assert.equal(started.code, 0, started.stderr);
    const uname = await home.limactl(["shell", NAME, "uname", "-a"]);
    assert.equal(uname.code, 0, uname.stderr);
    console.log(`# libvirt: limactl start to first shell: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.match(uname.stdout, /^Linux lima-lv .* x86_64 GNU\/Linux$/m);

    const info = virsh("dominfo", domain);
    assert.equal(info.code, 0, info.out);
    assert.match(info.out, /^State:\s+running$/m);
    // libvirt's QEMU, not one the host agent spawned: no pid file of the QEMU driver
    assert.ok(!existsSync(path.join(dir, "qemu.pid")));
    assert.equal(await status(), "Running");
    const json = JSON.parse((await home.limactl(["ls", "--json", NAME])).stdout) as { vmType: string; sshAddress: string };
    assert.equal(json.vmType, "libvirt");
    assert.equal(json.sshAddress, "127.0.0.1");
  });

  it("stops: the domain shuts off and list shows Stopped", async () => {
    const stopped = await home.limactl(["stop", NAME], { timeoutMs: 5 * 60_000 });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(await status(), "Stopped");
    assert.match(virsh("domstate", domain).out, /^shut off$/m);
  });

  it("deletes: the domain is gone", async () => {
    const deleted = await home.limactl(["delete", NAME]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const info = virsh("dominfo", domain);
    assert.notEqual(info.code, 0);
    assert.match(info.out, /failed to get domain/);
  });
});

const SSHD = "/usr/sbin/sshd";
// The remote suite boots a second guest (~3.5 min under TCG) for a path that differs from the local
// one only in transport; CI runs it when asked: LIMA_TS_TEST_LIBVIRT_REMOTE=1.
const remoteOptIn = process.env.LIMA_TS_TEST_LIBVIRT_REMOTE === "1" ? false : "on demand: set LIMA_TS_TEST_LIBVIRT_REMOTE=1";
const remoteSkip = skip || remoteOptIn || (process.getuid?.() !== 0 ? "needs root: the private sshd lets root in to reach qemu:///system" : !existsSync(SSHD) ? `${SSHD} is missing (Debian: openssh-server)` : false);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

describe("the libvirt driver on a remote host (qemu+ssh)", { skip: remoteSkip, timeout: 40 * 60_000 }, () => {
  const home = new LimaHome();
  const work = mkdtempSync(path.join(os.tmpdir(), "lima-libvirt-remote-"));
  const pool = `lima-e2e-${path.basename(work).slice(-6)}`;
  const NAME_R = "rv";
  let uri = "";

  before(async () => {
    ensureGuestImage();
    assert.equal(virsh("version").code, 0, "libvirtd does not answer (start it: scripts/start-libvirtd.sh)");
    for (const key of ["hostkey", "id"]) assert.equal(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(work, key)]).status, 0);
    writeFileSync(path.join(work, "authorized_keys"), readFileSync(path.join(work, "id.pub")), { mode: 0o600 });
    const port = await freePort();
    writeFileSync(path.join(work, "sshd_config"), [
      `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${path.join(work, "hostkey")}`, `AuthorizedKeysFile ${path.join(work, "authorized_keys")}`,
      "PermitRootLogin prohibit-password", "PasswordAuthentication no", `PidFile ${path.join(work, "sshd.pid")}`, "StrictModes no",
    ].join("\n") + "\n");
    spawnSync("mkdir", ["-p", "/run/sshd"]);
    const sshd = spawnSync(SSHD, ["-f", path.join(work, "sshd_config"), "-E", path.join(work, "sshd.log")], { encoding: "utf8" });
    assert.equal(sshd.status, 0, sshd.stderr);
    // the pool's files are opened by libvirt's QEMU user
    const images = path.join(work, "images");
    spawnSync("mkdir", ["-m", "0755", images]);
    chmodSync(work, 0o755);
    const created = virsh("pool-create-as", pool, "dir", "--target", images);
    assert.equal(created.code, 0, created.out);
    uri = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${path.join(work, "id")}&no_verify=1`;
    const remote = virsh("-c", uri, "version");
    assert.equal(remote.code, 0, remote.out);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME_R]);
    home.cleanup();
    virsh("pool-destroy", pool);
    const pidFile = path.join(work, "sshd.pid");
    if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGTERM");
    rmSync(work, { recursive: true, force: true });
  });

  it("uploads the files into the pool, boots, answers limactl shell, stops and deletes its volumes", async () => {
    const set = `.vmOpts.libvirt.uri = ${JSON.stringify(uri)} | .vmOpts.libvirt.pool = ${JSON.stringify(pool)}`;
    const created = await home.limactl(["create", "--name", NAME_R, "--vm-type=libvirt", "--set", set, GUEST_TEMPLATE]);
    assert.equal(created.code, 0, created.stderr);
    const started = await home.limactl(["start", NAME_R], { timeoutMs: BOOT_MS });
    assert.equal(started.code, 0, started.stderr);
    const uname = await home.limactl(["shell", NAME_R, "uname", "-n"]);
    assert.equal(uname.code, 0, uname.stderr);
    assert.equal(uname.stdout.trim(), "lima-rv");
    const domain = domainName(NAME_R, path.join(home.dir, NAME_R));
    // the domain's disk and cidata are volumes of the pool (virsh lists them by name), not the instance's files
    const disks = virsh("domblklist", domain).out;
    for (const [target, file] of [["vda", "disk"], ["sda", "cidata.iso"]]) {
      assert.match(disks, new RegExp(`^\\s*${target}\\s+${domain}-${file.replace(".", "\\.")}$`, "m"));
    }
    const stopped = await home.limactl(["stop", NAME_R], { timeoutMs: 5 * 60_000 });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal((await home.limactl(["ls", "--format", "{{.Status}}", NAME_R])).stdout.trim(), "Stopped");
    const deleted = await home.limactl(["delete", NAME_R]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const volumes = virsh("vol-list", pool);
    assert.equal(volumes.code, 0, volumes.out);
    assert.doesNotMatch(volumes.out, new RegExp(domain));
    assert.notEqual(virsh("dominfo", domain).code, 0);
  });
});
