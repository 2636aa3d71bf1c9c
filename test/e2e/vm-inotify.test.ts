// mountInotify in a real guest: a host edit under a writable mount wakes an inotify watcher in the
// guest, through the host agent's watcher and the guest agent's PostInotify. The test guest's
// cloud kernel has no 9p, so the "mount" is a plain guest directory holding a file of the same
// name: what the guest sees can only come from the guest agent's chtimes, not from a shared file.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureGuestImage, GUEST_TEMPLATE } from "../helpers/guest.js";
import { LIMACTL, LimaHome } from "../helpers/limactl.js";
import { INOTIFY_WATCHER } from "../helpers/mountsuite.js";

const home = new LimaHome();
const NAME = "inotify";
const BOOT_MS = 15 * 60_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima inotify ü-"));
const rw = path.join(tmp, "rw dir");
const sub = path.join(rw, "sub dir");
const watched = path.join(sub, "watched.txt");

async function guest(args: string[]): Promise<string> {
  const res = await home.limactl(["shell", "--workdir", "/", NAME, ...args]);
  assert.equal(res.code, 0, `${args.join(" ")}: ${res.stderr}`);
  return res.stdout;
}

/** Runs the watcher on `dir` in the guest; resolves once it watches, with its exit (code and output). */
async function watchInGuest(dir: string): Promise<{ exited: Promise<{ code: number; out: string }>; kill: () => void }> {
  const watcher = spawn(LIMACTL, ["shell", "--workdir", "/", NAME, "python3", "-c", INOTIFY_WATCHER, dir], { env: { ...process.env, ...home.env } });
  let out = "";
  watcher.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number; out: string }>((resolve) => watcher.on("close", (code) => resolve({ code: code ?? 1, out })));
  await new Promise<void>((resolve, reject) => {
    watcher.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n")) resolve();
    });
    void exited.then(() => reject(new Error(`the watcher exited before watching: ${out}`)));
  });
  return { exited, kill: () => watcher.kill("SIGKILL") };
}

describe("mountInotify in a real guest", { timeout: 30 * 60_000 }, () => {
  before(async () => {
    ensureGuestImage();
    mkdirSync(sub, { recursive: true });
    writeFileSync(watched, "before\n");
    // --set replaces the template's `mountTypesUnsupported: [9p]` (a `base:` would only add to it).
    const set = `.mountType = "9p" | .mountTypesUnsupported = [] | .mountInotify = true | .mounts = [{"location": ${JSON.stringify(rw)}, "writable": true}]`;
    const created = await home.limactl(["create", "--tty=false", "--name", NAME, "--set", set, GUEST_TEMPLATE]);
    assert.equal(created.code, 0, created.stderr);
    const started = await home.limactl(["start", NAME], { timeoutMs: BOOT_MS });
    assert.equal(started.code, 0, started.stderr);
    // No 9p in this kernel: the guest's own directory and file stand in for the mount.
    await guest(["sh", "-c", 'sudo mkdir -p "$1" && sudo chown -R "$(id -u)" "$1" && echo before >"$1/watched.txt"', "sh", sub]);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("a host edit below a writable mount wakes a guest inotify watcher and gives the guest file the host's mtime", async () => {
    const watcher = await watchInGuest(sub);
    try {
      writeFileSync(watched, "after\n");
      const { code, out } = await watcher.exited;
      assert.equal(code, 0, `watcher: ${out}`);
      assert.match(out, /^event watched\.txt$/m);
    } finally {
      watcher.kill();
    }
    const guestNs = BigInt((await guest(["python3", "-c", "import os, sys; print(os.stat(sys.argv[1]).st_mtime_ns)", watched])).trim());
    const hostMs = Number(statSync(watched, { bigint: true }).mtimeNs / 1_000_000n);
    assert.ok(Math.abs(Number(guestNs / 1_000_000n) - hostMs) <= 1, `guest mtime ${guestNs} ns, host ${hostMs} ms`);
  });
});
