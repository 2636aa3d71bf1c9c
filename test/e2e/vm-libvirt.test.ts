// Boots the test guest as a libvirt domain through the external driver lima-driver-libvirt
// (`limactl create --vm-type=libvirt`), on libvirt's default connection (qemu:///system for
// root: .ci/run starts libvirtd), and checks that limactl and libvirt agree about it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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
