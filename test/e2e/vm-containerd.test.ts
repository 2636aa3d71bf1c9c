// One real guest with `containerd.system` and `containerd.user` installed by Lima's boot step from a
// local nerdctl-full archive (the stand-in that scripts/nerdctl-archive/build.sh makes from Debian
// packages; its nerdctl and rootless scripts are stand-ins, containerd, ctr, runc and rootlesskit are
// real): both daemons answer `ctr`, with the configuration Lima writes, and `nerdctl.lima` reaches the
// rootless one from the host.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createAndStart, ensureGuestImage, ensureNerdctlArchive, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LimaHome, REPO, run } from "../helpers/limactl.js";

const home = new LimaHome();
const NAME = "ctd";
/** Installing containerd makes the boot longer. */
const BOOT_MS = 20 * 60_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-containerd-"));
/** The rootless daemon's socket, as the guest user sees it. */
const USER_SOCKET = '"$XDG_RUNTIME_DIR/containerd/containerd.sock"';

async function guest(script: string): Promise<string> {
  const res = await home.limactl(["shell", NAME, "sh", "-c", script]);
  assert.equal(res.code, 0, `${script}: ${res.stderr}`);
  return res.stdout;
}

/** `ctr version` prints a Client and a Server section, each with a Version line. */
function assertClientAndServer(out: string): void {
  assert.match(out, /^Client:\n\s+Version:\s+\S+/m, out);
  assert.match(out, /^Server:\n\s+Version:\s+\S+/m, out);
}

describe("containerd from a local nerdctl-full archive in a real guest", { timeout: 40 * 60_000 }, () => {
  before(async () => {
    ensureGuestImage();
    const archive = ensureNerdctlArchive();
    const yaml = path.join(tmp, "ctd.yaml");
    writeFileSync(
      yaml,
      `base: ${GUEST_TEMPLATE}\nmemory: 2GiB\ncontainerd:\n  system: true\n  user: true\n  archives:\n  - location: ${JSON.stringify(archive.location)}\n    arch: x86_64\n    digest: ${archive.digest}\n`,
    );
    await createAndStart(home, NAME, yaml, BOOT_MS);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("unpacks the archive into /usr/local with nerdctl's bash completion", async () => {
    assert.equal((await guest("for b in nerdctl containerd ctr runc rootlesskit; do command -v $b; done")).trim(), ["nerdctl", "containerd", "ctr", "runc", "rootlesskit"].map((b) => `/usr/local/bin/${b}`).join("\n"));
    assert.match(await guest("cat /etc/bash_completion.d/nerdctl"), /nerdctl/);
  });

  it("runs the system containerd with Lima's config.toml, and `sudo ctr` reaches it", async () => {
    assert.equal((await guest("systemctl is-active containerd buildkit stargz-snapshotter")).trim(), "active\nactive\nactive");
    assert.match(await guest("sudo cat /etc/containerd/config.toml"), /imports = \['\/etc\/containerd\/conf\.d\/\*\.toml'\]/);
    assert.match(await guest("cat /etc/buildkit/buildkitd.toml"), /namespace = "default"\n {2}snapshotter = "overlayfs"/);
    assertClientAndServer(await guest("sudo ctr version"));
    const plugins = await guest("sudo ctr plugins ls");
    // The stargz proxy plugin exists only because of Lima's config.toml.
    assert.match(plugins, /^io\.containerd\.snapshotter\.v1\s+stargz\s+-\s+ok\s*$/m, plugins);
    assert.match(plugins, /^io\.containerd\.snapshotter\.v1\s+overlayfs\s+linux\/amd64\s+ok\s*$/m, plugins);
  });

  it("runs a rootless containerd for the user under RootlessKit, with Lima's user config.toml", async () => {
    assert.equal((await guest("systemctl --user is-active containerd")).trim(), "active");
    assertClientAndServer(await guest(`ctr --address ${USER_SOCKET} version`));
    const plugins = await guest(`ctr --address ${USER_SOCKET} plugins ls`);
    assert.match(plugins, /^io\.containerd\.snapshotter\.v1\s+fuse-overlayfs\s+-\s+ok\s*$/m, plugins);
    // The daemon runs as the user, inside rootlesskit's user namespace where the user is uid 0.
    const [user, uid] = (await guest("id -un; id -u")).trim().split("\n");
    assert.ok((await guest("ps -o user= -C containerd")).split("\n").includes(user ?? ""), `no containerd runs as ${user}`);
    const uidMap = await guest("sudo cat /proc/$(cat $XDG_RUNTIME_DIR/containerd-rootless/child_pid)/uid_map");
    assert.deepEqual(uidMap.trim().split("\n")[0]?.trim().split(/\s+/).slice(0, 2), ["0", uid], uidMap);
  });

  it("nerdctl.lima on the host talks to the guest user's containerd", async () => {
    const res = await run(path.join(REPO, "bin", "nerdctl.lima"), ["version"], { env: { ...home.env, LIMA_INSTANCE: NAME } });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^Server:\n\s+Version:\s+\S+/m, res.stdout);
  });
});
