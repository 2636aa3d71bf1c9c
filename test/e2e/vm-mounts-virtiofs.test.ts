// virtiofs mounts in a real guest: one virtiofsd per mount, started before QEMU and gone with it,
// however QEMU ends. QEMU's C virtiofsd (Debian 12's /usr/lib/qemu/virtiofsd) only runs as root:
// a non-root user with nothing else installed gets a clear error from `limactl start` instead.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { findVirtiofsd, virtiofsdUnusable } from "../../src/driver/qemu/virtiofsd.js";
import { expectedGuestUser, GUEST_TEMPLATE, guestImagesYaml } from "../helpers/guest.js";
import { LimaHome } from "../helpers/limactl.js";
import { describeMounts } from "../helpers/mountsuite.js";

const BOOT_MS = 15 * 60_000;
const qemuExe = execFileSync("sh", ["-c", "command -v qemu-system-x86_64"], { encoding: "utf8" }).trim();
const virtiofsd = await findVirtiofsd(qemuExe);
const euid = process.geteuid?.() ?? 0;
const unusable = virtiofsdUnusable(virtiofsd, euid, "lima.yaml") !== undefined;

/** pids of virtiofsd processes serving a socket under `dir`. */
function virtiofsdsUnder(dir: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").some((a) => a.includes(path.join(dir, "virtiofsd-")));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function socketsIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^virtiofsd-\d+\.sock$/.test(f));
}

function configWithMount(tmp: string, name: string): string {
  const shared = path.join(tmp, "shared dir");
  const yaml = path.join(tmp, `${name}.yaml`);
  writeFileSync(yaml, [`base: ${GUEST_TEMPLATE}`, "mountType: virtiofs", "mounts:", `- location: ${JSON.stringify(shared)}`, "  writable: true", guestImagesYaml(), ""].join("\n"));
  return yaml;
}

if (unusable) {
  describe("virtiofs for a non-root user with only QEMU's C virtiofsd", { timeout: 5 * 60_000 }, () => {
    const home = new LimaHome();
    const tmp = mkdtempSync(path.join(os.tmpdir(), "lima virtiofs-"));
    after(async () => {
      await home.limactl(["delete", "-f", "vfs"]);
      home.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    });

    it("`limactl start` fails at once, naming the C virtiofsd and the fixes, and leaves nothing running", async () => {
      const created = await home.limactl(["create", "--name", "vfs", configWithMount(tmp, "vfs")]);
      assert.equal(created.code, 0, created.stderr);
      const started = await home.limactl(["start", "vfs"], { timeoutMs: 120_000 });
      assert.equal(started.code, 1, started.stderr);
      assert.match(started.stderr, /is QEMU's C virtiofsd, which only runs as root/);
      assert.match(started.stderr, /vhost-user\/50-virtiofsd\.json/);
      assert.match(started.stderr, /`mountType: 9p` or `mountType: reverse-sshfs`/);
      const instDir = path.join(home.dir, "vfs");
      assert.deepEqual(virtiofsdsUnder(instDir), []);
      assert.equal(existsSync(path.join(instDir, "qemu.pid")), false, "QEMU never started");
    });
  });
} else {
  // The process checks run on the mount suite's guest: a second boot would cost ~1.5 min of CI.
  describeMounts({
    mountType: "virtiofs",
    name: "virtiofs",
    extraYaml: guestImagesYaml(),
    // virtiofsd passes the guest user's uid through: a root virtiofsd (QEMU's C one) creates files
    // with the guest user's uid (`lima`, 1000, when the host user is root); an unprivileged one can
    // only create them as the host user, whose uid the guest user has.
    hostOwner: () => (euid === 0 ? expectedGuestUser().uid : euid),
    rwDirOwner: () => expectedGuestUser().uid,
    moreChecks: ({ home, name, rw }) => {
      const instDir = path.join(home.dir, name);

      it("a crashed QEMU takes its virtiofsd and sockets along, and the next start works", async () => {
        assert.equal(virtiofsdsUnder(instDir).length > 0, true, "virtiofsd runs while the VM runs");
        assert.deepEqual(socketsIn(instDir), ["virtiofsd-0.sock", "virtiofsd-1.sock"]);

        process.kill(Number(readFileSync(path.join(instDir, "qemu.pid"), "utf8")), "SIGKILL");
        const deadline = Date.now() + 60_000;
        while (existsSync(path.join(instDir, "ha.pid")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
        assert.equal(existsSync(path.join(instDir, "ha.pid")), false, "the host agent exits with QEMU");
        assert.deepEqual(virtiofsdsUnder(instDir), []);
        assert.deepEqual(socketsIn(instDir), []);

        const again = await home.limactl(["start", name], { timeoutMs: BOOT_MS });
        assert.equal(again.code, 0, again.stderr);
        writeFileSync(path.join(rw, "again.txt"), "again\n");
        const cat = await home.limactl(["shell", "--workdir", "/", name, "cat", path.join(rw, "again.txt")]);
        assert.equal(cat.stdout, "again\n", cat.stderr);
      });

      it("`limactl stop` stops virtiofsd and removes its socket", async () => {
        const stopped = await home.limactl(["stop", name], { timeoutMs: 5 * 60_000 });
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.deepEqual(virtiofsdsUnder(instDir), []);
        assert.deepEqual(socketsIn(instDir), []);
      });
    },
  });
}
