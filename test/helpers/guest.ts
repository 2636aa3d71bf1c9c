// The locally built Debian guest the end-to-end tests boot (scripts/guest-image/build.sh, cached).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { type LimaHome, REPO, type RunResult } from "./limactl.js";

/** Builds the guest image unless the cached one matches its recipe; throws with the build log on failure. */
export function ensureGuestImage(): void {
  const res = spawnSync("bash", [path.join(REPO, "scripts", "guest-image", "build.sh")], { encoding: "utf8", timeout: 30 * 60_000 });
  if (res.status !== 0) throw new Error(`building the guest image failed:\n${res.stdout}\n${res.stderr}`);
}

export const GUEST_TEMPLATE = "template:local-debian-12";

/** How long a test waits for `limactl start` of the test guest under TCG. */
export const BOOT_MS = 15 * 60_000;

/** `limactl create --name NAME SOURCE` then `limactl start NAME`, both asserted to succeed; the start's result. */
export async function createAndStart(home: LimaHome, name: string, source: string, timeoutMs = BOOT_MS): Promise<RunResult> {
  const created = await home.limactl(["create", "--name", name, source]);
  assert.equal(created.code, 0, created.stderr);
  const started = await home.limactl(["start", name], { timeoutMs });
  assert.equal(started.code, 0, started.stderr);
  return started;
}

/** Where build.sh puts the image: `$LIMA_TS_GUEST_CACHE` (as build.sh reads it) or the default the template names. */
export function guestImageDir(): string {
  return path.join(process.env.LIMA_TS_GUEST_CACHE || "/var/cache/lima-ts/guest", "debian-12-x86_64");
}

/**
 * `images:` lines for lima.yaml booting the image of guestImageDir() (the template hard-codes the
 * default cache), with its cloud kernel or with the generic one (which has 9p). They come before
 * the template's images, so they win.
 */
export function guestImagesYaml(kernel: "cloud" | "generic" = "cloud"): string {
  const dir = guestImageDir();
  const [vmlinuz, initrd] = kernel === "cloud" ? ["vmlinuz", "initrd.img"] : ["vmlinuz-generic", "initrd-generic.img"];
  return [
    "images:",
    `- location: ${JSON.stringify(path.join(dir, "disk.qcow2"))}`,
    "  arch: x86_64",
    "  kernel:",
    `    location: ${JSON.stringify(path.join(dir, vmlinuz))}`,
    '    cmdline: "root=/dev/vda rw console=ttyS0"',
    "  initrd:",
    `    location: ${JSON.stringify(path.join(dir, initrd))}`,
  ].join("\n");
}

/**
 * The guest user Lima makes for the user running the tests: the host's name and uid, or `lima`
 * with uid 1000 when the host name is not a valid Linux user name; lima-ts also uses `lima`
 * when the host user is root. The home is `/home/<name>.guest` (Lima ≥ 2.1).
 */
export function expectedGuestUser(): { name: string; uid: number; home: string } {
  const { username, uid } = os.userInfo();
  const name = uid !== 0 && /^[a-z_][a-z0-9_-]*$/.test(username) ? username : "lima";
  return { name, uid: name === "lima" ? 1000 : uid, home: `/home/${name}.guest` };
}

/** The stand-in nerdctl-full archive built from Debian packages (scripts/nerdctl-archive/build.sh, cached). */
export interface NerdctlArchive {
  location: string;
  digest: string;
}

/** Builds the test nerdctl-full archive unless the cached one matches its recipe; throws with the build log on failure. */
export function ensureNerdctlArchive(): NerdctlArchive {
  const res = spawnSync("bash", [path.join(REPO, "scripts", "nerdctl-archive", "build.sh")], { encoding: "utf8", timeout: 15 * 60_000 });
  if (res.status !== 0) throw new Error(`building the nerdctl archive failed:\n${res.stdout}\n${res.stderr}`);
  const location = path.join(process.env.LIMA_TS_NERDCTL_CACHE ?? "/var/cache/lima-ts/nerdctl-full", "nerdctl-full-debian12-linux-amd64.tar.gz");
  return { location, digest: `sha256:${readFileSync(`${location}.sha256`, "utf8").trim()}` };
}
