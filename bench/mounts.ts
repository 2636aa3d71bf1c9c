// Mount speed, side by side in one run on the test guest: reverse-sshfs, 9p and virtiofs, each
// against the same files on the guest's own disk: sequential write and read of a 256 MiB file,
// `find` + `stat` over 10,000 small files, and `git status` of a 2,000-file repository (cold: the
// first run after the index was written elsewhere; warm: the run after). One guest per mount
// type, one at a time. Run: npm run bench:mounts (BENCH_MOUNT_TYPES=virtiofs,9p to pick some).
import { spawnSync } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureGuestImage, expectedGuestUser, GUEST_TEMPLATE, guestImagesYaml } from "../test/helpers/guest.js";
import { LIMACTL } from "../test/helpers/limactl.js";

const MiB = 1 << 20;
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 256);
const SMALL_DIRS = 100;
const SMALL_PER_DIR = 100;
const REPO_FILES = 2000;
const MOUNT_TYPES = (process.env.BENCH_MOUNT_TYPES ?? "reverse-sshfs,9p,virtiofs").split(",");

const limaHome = mkdtempSync(path.join(os.tmpdir(), "lima-bench-mounts-"));
const env = { ...process.env, LIMA_HOME: limaHome };

function limactl(args: string[]): string {
  const res = spawnSync(LIMACTL, args, { env, encoding: "utf8", maxBuffer: 64 * MiB });
  if (res.status !== 0) throw new Error(`limactl ${args.join(" ")} failed:\n${res.stderr}`);
  return res.stdout;
}

function run(cmd: string, args: string[], cwd: string): void {
  const res = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${res.stderr}`);
}

/** The host side of the shared directory: 10,000 small files and a committed 2,000-file git repository. */
function populate(dir: string): void {
  for (let d = 0; d < SMALL_DIRS; d++) {
    const sub = path.join(dir, "small", `d${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < SMALL_PER_DIR; f++) writeFileSync(path.join(sub, `f${f}.txt`), `file ${d}/${f}\n`);
  }
  const repo = path.join(dir, "repo");
  for (let f = 0; f < REPO_FILES; f++) {
    const sub = path.join(repo, `pkg${f % 40}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `m${f}.ts`), `export const v${f} = ${f};\n`.repeat(20));
  }
  run("git", ["init", "-q"], repo);
  run("git", ["add", "."], repo);
  run("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "files"], repo);
  // 9p and virtiofs pass uids through: as root, the files must be the guest user's, as a normal
  // user's own files are.
  if (process.getuid?.() === 0) chownTree(dir, expectedGuestUser().uid);
}

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}

/**
 * Runs in the guest with the directory to measure as $1; prints `name ms` lines. Caches are
 * dropped before every read so that the guest's page cache does not answer for the mount.
 */
const GUEST_SCRIPT = String.raw`
set -eu
d="$1"
drop() { sync; echo 3 | sudo tee /proc/sys/vm/drop_caches >/dev/null; }
ms() { s=$(date +%s%N); "$@" >/dev/null || { echo "failed: $*" >&2; exit 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
echo "write $(ms dd if=/dev/zero of="$d/big" bs=1M count=${BIG_MIB} conv=fsync)"
drop
echo "read $(ms dd if="$d/big" of=/dev/null bs=1M)"
rm -f "$d/big"
drop
echo "find $(ms sh -c "find '$d/small' -type f -printf '%s %T@\n' | wc -l")"
drop
echo "gitcold $(ms git -c safe.directory='*' -C "$d/repo" status --porcelain)"
echo "gitwarm $(ms git -c safe.directory='*' -C "$d/repo" status --porcelain)"
`;

type Timings = Record<string, number>;

function measure(name: string, dir: string): Timings {
  const out = limactl(["shell", "--workdir", "/", name, "bash", "-c", GUEST_SCRIPT, "bench", dir]);
  return Object.fromEntries(out.trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)]));
}

function benchMountType(mountType: string): { mount: Timings; disk: Timings } {
  const name = `bench-${mountType.replace(/[^a-z0-9]/g, "")}`;
  const shared = path.join(limaHome, `shared-${name}`);
  mkdirSync(shared);
  populate(shared);
  const yaml = path.join(limaHome, `${name}.yaml`);
  const lines = [
    `base: ${GUEST_TEMPLATE}`,
    `mountType: ${mountType}`,
    // The cloud kernel has no 9p; the image carries the generic one for it.
    guestImagesYaml(mountType === "9p" ? "generic" : "cloud"),
    "mounts:",
    `- location: ${JSON.stringify(shared)}`,
    "  writable: true",
  ];
  writeFileSync(yaml, `${lines.join("\n")}\n`);
  limactl(["create", "--name", name, yaml]);
  try {
    limactl(["start", name]);
    // The same files on the guest's own disk (copied from the mount, not timed).
    limactl(["shell", "--workdir", "/", name, "sh", "-c", `rm -rf ~/local && cp -a "$1" ~/local`, "sh", shared]);
    const home = limactl(["shell", "--workdir", "/", name, "sh", "-c", "echo ~"]).trim();
    return { mount: measure(name, shared), disk: measure(name, `${home}/local`) };
  } finally {
    spawnSync(LIMACTL, ["delete", "-f", name], { env, stdio: "ignore" });
  }
}

function row(label: string, key: string, results: Map<string, { mount: Timings; disk: Timings }>, rate?: number): string {
  const cells = [...results.values()].map((r) => {
    const m = r.mount[key] ?? NaN;
    const d = r.disk[key] ?? NaN;
    // Always "how much slower than the guest's disk": time over disk time.
    const value = rate ? `${(rate / (m / 1000)).toFixed(1)} MiB/s` : `${(m / 1000).toFixed(2)} s`;
    return `${value} (${(m / d).toFixed(1)}× disk time)`;
  });
  const disk = [...results.values()][0]?.disk[key] ?? NaN;
  const diskCell = rate ? `${(rate / (disk / 1000)).toFixed(1)} MiB/s` : `${(disk / 1000).toFixed(2)} s`;
  return `| ${label} | ${cells.join(" | ")} | ${diskCell} |`;
}

function main(): void {
  ensureGuestImage();
  const results = new Map<string, { mount: Timings; disk: Timings }>();
  try {
    for (const mountType of MOUNT_TYPES) {
      console.error(`[bench] ${mountType}…`);
      results.set(mountType, benchMountType(mountType));
    }
  } finally {
    rmSync(limaHome, { recursive: true, force: true });
  }
  console.log(`| | ${[...results.keys()].join(" | ")} | guest disk |`);
  console.log(`|---|${[...results.keys()].map(() => "---").join("|")}|---|`);
  console.log(row(`sequential write ${BIG_MIB} MiB`, "write", results, BIG_MIB));
  console.log(row(`sequential read ${BIG_MIB} MiB (cold)`, "read", results, BIG_MIB));
  console.log(row(`find + stat, ${SMALL_DIRS * SMALL_PER_DIR} files (cold)`, "find", results));
  console.log(row(`git status, ${REPO_FILES} files, first run`, "gitcold", results));
  console.log(row("git status, second run", "gitwarm", results));
}

main();
