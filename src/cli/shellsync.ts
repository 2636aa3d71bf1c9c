// `limactl shell --sync DIR`: the host directory is copied into the guest (under the guest home,
// at the same absolute path), the command runs there, and the changes come back to the host —
// without asking when there is no terminal, after a Yes/No/View prompt when there is.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Instance } from "../store/instance.js";
import { logger } from "../log/logger.js";
import { sshCommand } from "../sshutil/command.js";
import { hostHasRsync, rsyncArgv, rsyncGuestPath, rsyncSplitsRemotePaths } from "../sshutil/rsync.js";
import { shellQuote, sshAddressOf, sshArgs, sshOpts } from "../sshutil/sshutil.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { select } from "./menu.js";

/** A shallower directory would be `/`, `/home` or the home directory itself ("/Users/USER" is 3). */
const MINIMUM_SYNC_DIR_DEPTH = 4;
const GRAY = "\x1b[0;90m";
const NO_COLOR = "\x1b[0m";

export interface SyncPlan {
  /** Absolute host directory. */
  hostDir: string;
  /** The guest copy: guest home + hostDir. */
  guestDir: string;
}

/** Separators plus one, as Lima counts (`/` and `/a` are 2, `/a/b/c` is 4); repeated and trailing slashes do not count. */
export function pathDepth(p: string): number {
  let slashed = p.replace(/\/{2,}/g, "/");
  const trimmed = slashed.replace(/\/$/, "");
  if (trimmed.includes("/")) slashed = trimmed;
  return slashed.split("/").length;
}

export interface Sync {
  guestDir: string;
  /** Mirrors the host directory into the guest copy. */
  toGuest(): Promise<void>;
  /** Copies the guest copy's changes back (asking first when `tty`), then removes the guest copy. */
  back(tty: boolean): Promise<void>;
}

export function prepareSync(inst: Instance, dir: string, workdir: string | undefined): Sync {
  const plan = planSync(inst, dir, workdir);
  return { guestDir: plan.guestDir, toGuest: () => syncToGuest(inst, plan), back: (tty) => syncBack(inst, plan, tty) };
}

/** Checks `--sync DIR` against the instance and the other flags, in Lima's order. */
export function planSync(inst: Instance, dir: string, workdir: string | undefined): SyncPlan {
  if ((inst.config?.mounts ?? []).length > 0) {
    throw new LimaError("cannot use `--sync` when the instance has host mounts configured, start the instance with `--mount-none` to disable mounts");
  }
  if (inst.vmType === "wsl2") throw new LimaError("cannot use `--sync` with a wsl2 instance, the host directory is already visible in the guest");
  const hostDir = path.resolve(dir);
  if (!hostHasRsync()) throw new LimaError('rsync is required for `--sync` but not found: exec: "rsync": executable file not found in $PATH');
  const depth = pathDepth(hostDir);
  if (depth < MINIMUM_SYNC_DIR_DEPTH) {
    throw new LimaError(`expected the depth of the host working directory (${q(hostDir)}) to be at least ${MINIMUM_SYNC_DIR_DEPTH}, only got ${depth} (Hint: cd to a deeper directory)`);
  }
  if (workdir) throw new LimaError("cannot use `--workdir` and `--sync` at the same time");
  return { hostDir, guestDir: `${inst.config?.user?.home ?? ""}${hostDir}` };
}

function run(command: string, args: readonly string[], stdout: "inherit" | "pipe"): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", stdout, "inherit"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout: out }));
  });
}

function exitStatus(code: number): string {
  return `exit status ${code}`;
}

/** Runs a shell command in the guest the way Lima's sync does (no `--`, the instance's options). */
async function guestCommand(inst: Instance, command: string): Promise<void> {
  const [ssh, ...prefix] = sshCommand();
  const args = [...prefix, ...sshArgs(sshOpts(inst.dir, inst.config ?? {})), "-p", String(inst.sshLocalPort ?? 0), sshAddressOf(inst), command];
  const res = await run(ssh ?? "ssh", args, "inherit");
  if (res.code !== 0) throw new Error(exitStatus(res.code));
}

/** The guest directory as rsync is given it: old rsync lets the remote shell split it. */
function guestDirForRsync(plan: SyncPlan): string {
  return rsyncSplitsRemotePaths() ? shellQuote(plan.guestDir) : plan.guestDir;
}

/** `rsync -a -q -r --delete SRC/ DST/`: a mirror of one directory's contents. */
async function mirror(inst: Instance, from: string, to: string, toHost: boolean): Promise<void> {
  const args = rsyncArgv(inst, { recursive: true, verbose: false, extra: ["--delete"], toHost }, [`${from}/`, `${to}/`]);
  logger.debug(`executing rsync: ${args.join(" ")}`);
  const res = await run("rsync", args, "inherit");
  if (res.code !== 0) throw new Error(exitStatus(res.code));
}

async function syncToGuest(inst: Instance, plan: SyncPlan): Promise<void> {
  logger.info(`Syncing host current directory(${plan.hostDir}) to guest instance...`);
  try {
    await guestCommand(inst, `mkdir -p ${shellQuote(plan.guestDir)}`);
  } catch (err) {
    throw new LimaError(`failed to create the synced workdir in guest instance: ${errorMessage(err)}`);
  }
  const guestDir = guestDirForRsync(plan);
  try {
    await mirror(inst, plan.hostDir, rsyncGuestPath(inst, guestDir), false);
  } catch (err) {
    throw new LimaError(`failed to rsync to the guest ${errorMessage(err)}`);
  }
  logger.info(`Successfully synced host current directory to guest(${guestDir}) instance.`);
}

export interface RsyncStats {
  added: number;
  deleted: number;
  modified: number;
  metadata: number;
}

/** Counts `rsync --itemize-changes` lines: `>f+++…` added, `>f.st…` modified, `*deleting` deleted, `.d..t…` metadata. */
export function parseRsyncStats(output: string): RsyncStats {
  const stats: RsyncStats = { added: 0, deleted: 0, modified: 0, metadata: 0 };
  for (const line of output.split("\n")) {
    if (line.length < 12) continue;
    if (line.startsWith("*deleting")) {
      stats.deleted++;
      continue;
    }
    const [update, , checksum] = line;
    if (update === "<" || update === ">" || update === "c") {
      if (checksum === "+") stats.added++;
      else stats.modified++;
    } else if (update === "." && /[^.]/.test(line.slice(2, 11))) {
      stats.metadata++;
    }
  }
  return stats;
}

export function statsText(s: RsyncStats): string {
  if (s.added === 0 && s.deleted === 0 && s.modified === 0 && s.metadata === 0) return "";
  return `added: ${s.added}, deleted: ${s.deleted}, modified: ${s.modified}, metadata: ${s.metadata}`;
}

interface DryRun {
  output: string;
  stats: RsyncStats;
}

/** A dry run of the copy back: its itemized output and the counts. */
async function dryRunStats(inst: Instance, guestDir: string, hostDir: string): Promise<DryRun> {
  const args = rsyncArgv(inst, { recursive: false, verbose: true, extra: ["--dry-run", "--itemize-changes", "-ah", "--delete"], toHost: true }, [rsyncGuestPath(inst, guestDir), path.dirname(hostDir)]);
  logger.debug(`executing rsync for stats: ${args.join(" ")}`);
  const res = await run("rsync", args, "pipe");
  if (res.code !== 0) throw new Error(exitStatus(res.code));
  return { output: res.stdout, stats: parseRsyncStats(res.stdout) };
}

function hasLessRawFlag(flags: readonly string[]): boolean {
  return flags.some((f) => ["-R", "-r", "--RAW-CONTROL-CHARS", "--raw-control-chars"].includes(f) || (/^-[^-]/.test(f) && /[Rr]/.test(f)));
}

/** `$PAGER` (words), or `less -R`; `less` gets `-R` unless it or `$LESS` already lets colors through. */
export function pagerCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.PAGER ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return ["less", "-R"];
  if (path.basename(words[0] ?? "") !== "less") return words;
  if (hasLessRawFlag(words.slice(1)) || hasLessRawFlag((env.LESS ?? "").split(/\s+/))) return words;
  return [...words, "-R"];
}

function hasDiff(): boolean {
  return spawnSync("sh", ["-c", "command -v diff"], { stdio: "ignore" }).status === 0;
}

/** Shows the dry-run statistics and `diff -ruN` of host vs. guest copy in the pager. */
async function showChanges(header: string, diffArgs: readonly string[] | undefined): Promise<void> {
  const [pager = "less", ...pagerArgs] = pagerCommand();
  const child = spawn(pager, pagerArgs, { stdio: ["pipe", "inherit", "inherit"] });
  const pagerDone = new Promise<number>((resolve, reject) => {
    child.on("error", (err) => reject(new LimaError(`failed to start less: ${err.message}`)));
    child.on("close", (code) => resolve(code ?? 1));
  });
  child.stdin.on("error", () => {}); // the user may quit the pager before it has read everything
  child.stdin.write(header);
  if (diffArgs) {
    const diff = spawn("diff", diffArgs, { stdio: ["ignore", "pipe", "inherit"] });
    diff.stdout.pipe(child.stdin, { end: false });
    const code = await new Promise<number>((resolve) => diff.on("close", (c) => resolve(c ?? 2)));
    // diff exits 1 when the trees differ; 2 and up is trouble.
    if (code >= 2) {
      child.stdin.end();
      throw new LimaError(`failed to run diff command: ${exitStatus(code)}`);
    }
  }
  child.stdin.end();
  const code = await pagerDone;
  if (code !== 0) throw new LimaError(`failed to wait for less command: ${exitStatus(code)}`);
}

const ACCEPT = 0;
const REJECT = 1;

async function syncBack(inst: Instance, plan: SyncPlan, tty: boolean): Promise<void> {
  const guestDir = guestDirForRsync(plan);
  const guestSource = rsyncGuestPath(inst, guestDir);
  let removeGuestCopy = false;
  const copyBack = async () => {
    try {
      await mirror(inst, guestSource, plan.hostDir, true);
    } catch (err) {
      throw new LimaError(`failed to sync back the changes from guest instance to host: ${errorMessage(err)}`);
    }
    logger.info("Successfully synced back the changes to host.");
    removeGuestCopy = true;
  };
  try {
    if (!tty) return await copyBack();
    await askAndCopyBack(inst, plan, guestSource, copyBack, () => {
      removeGuestCopy = true;
    });
  } finally {
    if (removeGuestCopy) {
      await guestCommand(inst, `rm -rf ${shellQuote(plan.guestDir)}`).catch((err: unknown) => logger.warn("Failed to clean up guest synced workdir", { error: err }));
    }
  }
}

async function askAndCopyBack(inst: Instance, plan: SyncPlan, guestSource: string, copyBack: () => Promise<void>, discard: () => void): Promise<void> {
  const dry = await dryRunStats(inst, guestDirForRsync(plan), plan.hostDir).catch((err: unknown) => {
    logger.warn("failed to get rsync stats", { error: err });
    return undefined;
  });
  const summary = dry ? statsText(dry.stats) : "";
  if (dry && summary === "") {
    logger.info("No changes detected");
    discard();
    return;
  }
  const message = `⚠️ Accept the changes?${summary ? ` (${summary})` : ""}`;
  await withTempCopyDir(plan, async (hostTmpDest) => {
    let fetched = false;
    for (;;) {
      const answer = await ask(message, plan);
      if (answer === ACCEPT) return await copyBack();
      if (answer === REJECT) {
        discard();
        logger.info("Skipping syncing back the changes to host.");
        return;
      }
      fetched = await viewChanges(inst, plan, guestSource, hostTmpDest, dry, fetched);
    }
  });
}

async function ask(message: string, plan: SyncPlan): Promise<number> {
  try {
    return await select(message, ["Yes", "No", "View the changed contents"]);
  } catch (err) {
    throw new LimaError(`failed to open TUI: ${errorMessage(err)}; preserving guest synced workdir at ${plan.guestDir}`);
  }
}

/** Runs `fn` with an empty host directory named like the synced one, removed afterwards. */
async function withTempCopyDir(plan: SyncPlan, fn: (dir: string) => Promise<void>): Promise<void> {
  let base: string;
  try {
    base = mkdtempSync(path.join(os.tmpdir(), "lima-guest-synced-"));
    mkdirSync(path.join(base, path.basename(plan.hostDir)));
  } catch (err) {
    throw new LimaError(`failed to create temporary directory: ${errorMessage(err)}; preserving guest synced workdir at ${plan.guestDir}`);
  }
  try {
    await fn(path.join(base, path.basename(plan.hostDir)));
  } finally {
    try {
      rmSync(base, { recursive: true, force: true });
    } catch (err) {
      logger.warn(`Failed to clean up temporary directory ${base}`, { error: err });
    }
  }
}

/** "View the changed contents": fetch the guest copy once into `hostTmpDest`, page the stats and the diff. Returns whether it is fetched. */
async function viewChanges(inst: Instance, plan: SyncPlan, guestSource: string, hostTmpDest: string, dry: DryRun | undefined, fetched: boolean): Promise<boolean> {
  const diffAvailable = hasDiff();
  if (!diffAvailable) logger.warn("`diff` not found; showing rsync dry-run output only");
  if (diffAvailable && !fetched) {
    try {
      await mirror(inst, guestSource, hostTmpDest, true);
    } catch (err) {
      throw new LimaError(`failed to sync back the changes from guest instance to host temporary directory: ${errorMessage(err)}`);
    }
  }
  await showChanges(changesHeader(dry, diffAvailable), diffAvailable ? ["-ruN", "--color=always", plan.hostDir, hostTmpDest] : undefined);
  return fetched || diffAvailable;
}

function changesHeader(dry: DryRun | undefined, diffAvailable: boolean): string {
  if (!dry) return "";
  const diffHead = diffAvailable ? `${GRAY}--- detailed diff --- ${NO_COLOR}` : `${GRAY}--- detailed diff unavailable (\`diff\` not found) --- ${NO_COLOR}`;
  return `${GRAY}--- rsync dry-run statistics ---${NO_COLOR}\n${statsText(dry.stats)}\n\n${dry.output}\n\n\n${diffHead}\n`;
}
