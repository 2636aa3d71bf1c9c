// virtiofsd, the vhost-user backend of `mountType: virtiofs` (spec: lima-runtime.md §6.5.6): one
// process per mount, started before QEMU (which connects to its socket) and stopped with it.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { logger } from "../../log/logger.js";
import { LimaError, errorMessage, isErrno } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { sleep } from "../../util/sleep.js";
import { isProcessAlive } from "../../store/pidfile.js";

const execFileAsync = promisify(execFile);

/** virtiofsd binds its socket within milliseconds; Lima waits 5 × 200 ms, a loaded host needs more. */
const SOCKET_WAIT_MS = 10_000;
const POLL_MS = 50;
/** SIGTERM first (virtiofsd then takes its sandbox child with it), SIGKILL after this. */
const TERM_GRACE_MS = 2_000;
const VERSION_TIMEOUT_MS = 10_000;
const STDERR_TAIL_LINES = 10;

/** Debian 12 ships QEMU's C virtiofsd here (package qemu-system-common), also listed in /usr/share/qemu/vhost-user. */
const DEBIAN_QEMU_VIRTIOFSD = "/usr/lib/qemu/virtiofsd";
const VHOST_USER_DIR = "share/qemu/vhost-user";

/**
 * `rust`: the standalone virtiofsd (gitlab.com/virtio-fs/virtiofsd), which runs as any user.
 * `qemu`: QEMU's C virtiofsd (QEMU ≤ 7.2), which must run as root.
 */
export type VirtiofsdFlavour = "rust" | "qemu";

export interface Virtiofsd {
  binary: string;
  flavour: VirtiofsdFlavour;
  /** First line of `--version`. */
  version: string;
}

/** Where vhost-user backend descriptions live, in Lima's order: ~/.local, the QEMU prefix, /usr. */
export function vhostUserDirs(qemuExe: string, homeDir: string, usrDir = "/usr"): string[] {
  const prefix = path.dirname(path.dirname(qemuExe));
  const dirs = [path.join(homeDir, ".local", VHOST_USER_DIR), path.join(prefix, VHOST_USER_DIR)];
  if (prefix !== usrDir) dirs.push(path.join(usrDir, VHOST_USER_DIR));
  return dirs;
}

/** Where to look; the defaults are the real places (tests use a fake tree). */
export interface VirtiofsdLookup {
  homeDir?: string;
  usrDir?: string;
  /** Binaries tried after the vhost-user descriptions. */
  fallbacks?: readonly string[];
}

function fsBackendBinary(file: string): string | undefined {
  try {
    const backend = JSON.parse(readFileSync(file, "utf8")) as { type?: unknown; binary?: unknown };
    return backend.type === "fs" && typeof backend.binary === "string" ? backend.binary : undefined;
  } catch (err) {
    logger.warn(`Failed to load vhost-user config ${q(file)}: ${errorMessage(err)}`);
    return undefined;
  }
}

/** The `{"type": "fs"}` backends of these directories (JSON files in name order), then Debian's fixed path. */
export function virtiofsdCandidates(dirs: readonly string[], fallbacks: readonly string[] = [DEBIAN_QEMU_VIRTIOFSD]): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".json")).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const binary = fsBackendBinary(path.join(dir, name));
      if (binary !== undefined && !found.includes(binary)) found.push(binary);
    }
  }
  for (const f of fallbacks) if (!found.includes(f) && existsSync(f)) found.push(f);
  return found;
}

/** QEMU's C virtiofsd says `virtiofsd version 7.2.22 (...)`; the Rust one `virtiofsd 1.10.1`. */
export function virtiofsdFlavour(versionOutput: string): VirtiofsdFlavour {
  return /^virtiofsd version \d/m.test(versionOutput) ? "qemu" : "rust";
}

/** The first candidate that answers `--version` (as Lima, which skips binaries that do not). */
export async function findVirtiofsd(qemuExe: string, lookup: VirtiofsdLookup = {}): Promise<Virtiofsd> {
  const fallbacks = lookup.fallbacks ?? [DEBIAN_QEMU_VIRTIOFSD];
  const dirs = vhostUserDirs(qemuExe, lookup.homeDir ?? os.homedir(), lookup.usrDir);
  const candidates = virtiofsdCandidates(dirs, fallbacks);
  // QEMU's C virtiofsd drops supplementary groups before it even parses --version, so for a
  // non-root user `--version` fails: kept aside, to name it in the error if nothing else is found.
  let rootOnly: Virtiofsd | undefined;
  for (const binary of candidates) {
    try {
      const { stdout, stderr } = await execFileAsync(binary, ["--version"], { timeout: VERSION_TIMEOUT_MS });
      const output = `${stdout}${stderr}`;
      return { binary, flavour: virtiofsdFlavour(output), version: output.split("\n")[0]?.trim() ?? "" };
    } catch (err) {
      const output = `${(err as { stderr?: string }).stderr ?? ""}`;
      if (/setgroups\(\) failed/.test(output)) rootOnly ??= { binary, flavour: "qemu", version: "--version fails: setgroups() failed" };
      else logger.warn(`Failed to run ${binary} --version: ${errorMessage(err)}`);
    }
  }
  if (rootOnly) return rootOnly;
  const looked = [...dirs.map((d) => path.join(d, "*.json")), ...fallbacks].map(q).join(", ");
  throw new LimaError(
    `failed to locate virtiofsd for \`mountType: virtiofs\` (looked in ${looked}): install virtiofsd ` +
      "(Debian/Ubuntu: `apt install virtiofsd`, or `qemu-system-common` on Debian 12), or choose another `mountType`",
  );
}

/**
 * Why this virtiofsd cannot serve this user, or undefined. QEMU's C virtiofsd drops supplementary
 * groups and builds its namespace sandbox with root-only calls; in an unprivileged user namespace
 * setgroups(2) is denied and only one uid is mapped, so it cannot run for a non-root user at all.
 */
export function virtiofsdUnusable(v: Virtiofsd, euid: number, yamlFile: string): string | undefined {
  if (v.flavour !== "qemu" || euid === 0) return undefined;
  return (
    `${q(v.binary)} (${v.version}) is QEMU's C virtiofsd, which only runs as root, so \`mountType: virtiofs\` cannot work for this user. ` +
    "Install the standalone (Rust) virtiofsd, which runs unprivileged (Debian 13/Ubuntu 24.04: `apt install virtiofsd`; " +
    "elsewhere https://gitlab.com/virtio-fs/virtiofsd), and describe it in ~/.local/share/qemu/vhost-user/50-virtiofsd.json as " +
    `{"type": "fs", "binary": "/path/to/virtiofsd"}; or set \`mountType: 9p\` or \`mountType: reverse-sshfs\` in ${q(yamlFile)}`
  );
}

export function virtiofsdSocket(instDir: string, index: number): string {
  return path.join(instDir, `virtiofsd-${index}.sock`);
}

/** Arguments for one mount: Lima's for the Rust virtiofsd; the C one spells the shared directory `-o source=`. */
export function virtiofsdArgs(flavour: VirtiofsdFlavour, socketPath: string, location: string): string[] {
  if (flavour === "rust") return ["--socket-path", socketPath, "--shared-dir", location];
  return [`--socket-path=${socketPath}`, "-o", `source=${location}`];
}

/** Whether a command line (argv) is a virtiofsd serving this socket. */
export function servesSocket(argv: readonly string[], socketPath: string): boolean {
  return argv.some((arg, i) => arg === `--socket-path=${socketPath}` || (arg === "--socket-path" && argv[i + 1] === socketPath));
}

/** Processes of this user serving one of these sockets: left by a host agent that was killed. */
function strayVirtiofsds(sockets: readonly string[]): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (sockets.some((s) => servesSocket(argv, s))) pids.push(Number(entry));
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if (!isErrno(err, "ESRCH")) logger.warn(`failed to send ${sig} to virtiofsd ${pid}`, { error: err });
    return false;
  }
}

async function terminate(pids: readonly number[]): Promise<void> {
  const living = pids.filter((pid) => signal(pid, "SIGTERM"));
  const deadline = Date.now() + TERM_GRACE_MS;
  while (living.some(isProcessAlive) && Date.now() < deadline) await sleep(POLL_MS);
  for (const pid of living.filter(isProcessAlive)) signal(pid, "SIGKILL");
}

interface Daemon {
  child: ChildProcess;
  socketPath: string;
  exited?: string;
  stderrTail: string[];
}

function spawnDaemon(v: Virtiofsd, socketPath: string, location: string): Daemon {
  const args = virtiofsdArgs(v.flavour, socketPath, location);
  logger.debug(`Starting virtiofsd: [${[v.binary, ...args].join(" ")}]`);
  // Own process group: a Ctrl-C in the user's terminal must not take the mounts away from QEMU.
  const child = spawn(v.binary, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const daemon: Daemon = { child, socketPath, stderrTail: [] };
  child.once("error", (err) => (daemon.exited ??= err.message));
  child.once("exit", (code, sig) => (daemon.exited ??= sig ? `signal: ${sig}` : `exit status ${code}`));
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      for (const line of chunk.split("\n").filter((l) => l !== "")) {
        logger.debug(`virtiofsd[${path.basename(socketPath)}]: ${line}`);
        daemon.stderrTail.push(line);
        if (daemon.stderrTail.length > STDERR_TAIL_LINES) daemon.stderrTail.shift();
      }
    });
  }
  return daemon;
}

async function waitForSocket(d: Daemon): Promise<void> {
  const deadline = Date.now() + SOCKET_WAIT_MS;
  while (!existsSync(d.socketPath)) {
    if (d.exited !== undefined) throw new LimaError(`virtiofsd exited before creating ${q(d.socketPath)} (${d.exited}): ${d.stderrTail.join("\n")}`);
    if (Date.now() > deadline) throw new LimaError(`timeout waiting for virtiofsd to create ${q(d.socketPath)}: ${d.stderrTail.join("\n")}`);
    await sleep(POLL_MS);
  }
}

export interface VirtiofsMount {
  location: string;
}

/** The virtiofsd processes of one VM. */
export class VirtiofsDaemons {
  private daemons: Daemon[] = [];

  constructor(private readonly instDir: string) {}

  /** Starts one virtiofsd per mount and returns once every socket exists; on failure none is left running. */
  async start(v: Virtiofsd, mounts: readonly VirtiofsMount[]): Promise<void> {
    await this.clearStale(mounts.length);
    try {
      for (const [i, m] of mounts.entries()) {
        const daemon = spawnDaemon(v, virtiofsdSocket(this.instDir, i), m.location);
        this.daemons.push(daemon);
        await waitForSocket(daemon);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops them all and removes their sockets (which virtiofsd leaves behind). */
  async stop(): Promise<void> {
    const daemons = this.daemons;
    this.daemons = [];
    await terminate(daemons.filter((d) => d.exited === undefined).map((d) => d.child.pid ?? 0).filter((pid) => pid > 0));
    await Promise.all(daemons.map((d) => rm(d.socketPath, { force: true })));
  }

  /** A virtiofsd still serving this instance's socket (QEMU's C one also holds a lock on it) would refuse the new one. */
  private async clearStale(count: number): Promise<void> {
    const sockets = Array.from({ length: count }, (_, i) => virtiofsdSocket(this.instDir, i));
    const stray = strayVirtiofsds(sockets);
    if (stray.length > 0) {
      logger.warn(`Stopping virtiofsd processes left by a previous run: ${stray.join(", ")}`);
      await terminate(stray);
    }
    await Promise.all(sockets.map((s) => rm(s, { force: true })));
  }
}
