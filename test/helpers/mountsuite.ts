// The checks every mount type must pass in a real guest, as a user sees them: one writable and one
// read-only host directory (names with spaces and non-ASCII characters, which fstab and sshfs
// must escape), files going both ways, ownership on the host, `limactl shell` landing in the
// current directory, and (with mountInotify) a guest inotify watcher seeing a host edit.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createAndStart, ensureGuestImage, GUEST_TEMPLATE } from "./guest.js";
import { LIMACTL, LimaHome, type RunResult } from "./limactl.js";

export interface MountSuiteOptions {
  mountType: "reverse-sshfs" | "9p" | "virtiofs";
  /** Instance name (unique per test file). */
  name: string;
  /** More lima.yaml lines, e.g. `images:` with another kernel. */
  extraYaml?: string;
  /** Whether to check that a host edit reaches an inotify watcher in the guest (`mountInotify: true`). */
  inotify?: boolean;
  /**
   * The uid a file created in the guest has on the host. Default: the user running the tests,
   * which is what Lima's (non-root) users get from every mount type.
   */
  hostOwner?: () => number;
  /** Checks of one mount type only, run after the shared ones on the same guest (which is deleted after them). */
  moreChecks?: (suite: MountSuite) => void;
  /**
   * Owner to give the writable host directory before the boot. 9p and virtiofs pass the guest
   * user's uid through, so when the tests run as root (guest user `lima`, uid 1000) a root-owned
   * 0755 directory is not writable in the guest; a Lima user's own directory is.
   */
  rwDirOwner?: () => number;
}

/** What `moreChecks` get: the guest's LIMA_HOME, instance name and the two host directories. */
export interface MountSuite {
  home: LimaHome;
  name: string;
  rw: string;
  ro: string;
}

const INOTIFY_WAIT_S = 60;

/** A guest-side inotify watcher (python3 comes with cloud-init): prints `ready`, then `event NAME`. */
const INOTIFY_WATCHER = `
import ctypes, os, select, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
# IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE
if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(), 0x2 | 0x4 | 0x8 | 0x100) < 0:
    sys.exit("inotify: errno %d" % ctypes.get_errno())
print("ready", flush=True)
ready, _, _ = select.select([fd], [], [], ${INOTIFY_WAIT_S})
if not ready:
    sys.exit("no inotify event")
buf = os.read(fd, 4096)
_, mask, _, length = struct.unpack_from("iIII", buf)
print("event", buf[16:16 + length].rstrip(b"\\0").decode(), flush=True)
`;

const quoted = (s: string): string => JSON.stringify(s);

export function describeMounts(opts: MountSuiteOptions): void {
  const home = new LimaHome();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lima mounts ä-"));
  const rw = path.join(tmp, "rw dir ü");
  const ro = path.join(tmp, "ro dir");
  const hostOwner = opts.hostOwner ?? (() => process.getuid?.() ?? 0);

  const shell = (args: string[], cwd?: string): Promise<RunResult> => home.limactl(["shell", ...(cwd ? [] : ["--workdir", "/"]), opts.name, ...args], { cwd });
  const inGuest = async (args: string[]): Promise<string> => {
    const res = await shell(args);
    assert.equal(res.code, 0, `${args.join(" ")}: ${res.stderr}`);
    return res.stdout;
  };

  describe(`${opts.mountType} mounts in a real guest`, { timeout: 40 * 60_000 }, () => {
    before(async () => {
      ensureGuestImage();
      mkdirSync(rw);
      if (opts.rwDirOwner) chownSync(rw, opts.rwDirOwner(), -1);
      mkdirSync(ro);
      writeFileSync(path.join(ro, "readme.txt"), "read-only\n");
      const yaml = path.join(tmp, "lima.yaml");
      const lines = [
        `base: ${GUEST_TEMPLATE}`,
        `mountType: ${opts.mountType}`,
        "mountTypesUnsupported: []",
        `mountInotify: ${opts.inotify === true}`,
        "mounts:",
        `- location: ${quoted(rw)}`,
        "  writable: true",
        `- location: ${quoted(ro)}`,
        opts.extraYaml ?? "",
      ];
      writeFileSync(yaml, `${lines.join("\n")}\n`);
      const started = await createAndStart(home, opts.name, yaml);
      // Lima's own "`mountType: virtiofs` on Linux is experimental" is a notice, not a mount problem.
      const warnings = started.stderr.split("\n").filter((l) => !l.includes("is experimental")).join("\n");
      assert.doesNotMatch(warnings, /level=(warning|error).*mount/i, "no mount warnings at start");
    });
    after(async () => {
      await home.limactl(["delete", "-f", opts.name]);
      home.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    });

    it("a file the host writes is read in the guest at the same path", async () => {
      writeFileSync(path.join(rw, "from host.txt"), "hello from the host\n");
      assert.equal(await inGuest(["cat", path.join(rw, "from host.txt")]), "hello from the host\n");
      assert.equal(await inGuest(["cat", path.join(ro, "readme.txt")]), "read-only\n");
    });

    it("a file and a directory the guest writes are read on the host, owned by the host user", async () => {
      await inGuest(["sh", "-c", 'mkdir "$1/made in guest" && echo "hello from the guest" >"$1/made in guest/é.txt"', "sh", rw]);
      const file = path.join(rw, "made in guest", "é.txt");
      assert.equal(readFileSync(file, "utf8"), "hello from the guest\n");
      assert.equal(statSync(file).uid, hostOwner(), "owner of the file on the host");
      assert.equal(statSync(path.dirname(file)).uid, hostOwner(), "owner of the directory on the host");
    });

    it("a read-only mount refuses writes", async () => {
      const res = await shell(["touch", path.join(ro, "nope")]);
      assert.notEqual(res.code, 0, "touch on a read-only mount must fail");
      assert.match(res.stderr, /Read-only file system|Permission denied/);
      assert.throws(() => statSync(path.join(ro, "nope")));
    });

    it("`limactl shell` starts in the current directory when it is under a mount", async () => {
      const res = await shell(["pwd"], rw);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), rw);
    });

    if (opts.inotify === true) {
      it("a host edit under a writable mount reaches an inotify watcher in the guest", async () => {
        const watched = path.join(rw, "watched.txt");
        writeFileSync(watched, "before\n");
        assert.equal(await inGuest(["cat", watched]), "before\n");
        const watcher = spawn(LIMACTL, ["shell", "--workdir", "/", opts.name, "python3", "-c", INOTIFY_WATCHER, rw], { env: { ...process.env, ...home.env } });
        let out = "";
        let err = "";
        watcher.stderr.on("data", (d: Buffer) => (err += d.toString()));
        const exited = new Promise<number>((resolve) => watcher.on("close", (code) => resolve(code ?? 1)));
        try {
          await new Promise<void>((resolve, reject) => {
            watcher.stdout.on("data", (d: Buffer) => {
              out += d.toString();
              if (out.includes("ready\n")) resolve();
            });
            void exited.then(() => reject(new Error(`the watcher exited before watching: ${err}`)));
          });
          writeFileSync(watched, "after\n");
          assert.equal(await exited, 0, `watcher: ${out}${err}`);
          assert.match(out, /^event watched\.txt$/m);
        } finally {
          watcher.kill("SIGKILL");
        }
      });
    }

    opts.moreChecks?.({ home, name: opts.name, rw, ro });
  });
}
