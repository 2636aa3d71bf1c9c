// reverse-sshfs mounts (lima: pkg/hostagent/mount.go + sshocker pkg/reversesshfs): for each mount
// the host runs OpenSSH's sftp-server on the shared directory and `ssh -- sshfs -o slave` into the
// guest, the two cross-connected by kernel pipes (no copy through this process). The mount lives
// as long as those two processes; unmounting is killing them.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { Mount } from "../config/types.js";
import { logger } from "../log/logger.js";
import type { SSHTarget } from "../portfwd/sshforwarder.js";
import { runSSH } from "../sshutil/exec.js";
import { errorMessage } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { chooseSftpServer, findSftpServer } from "./sftpserver.js";
import { MOUNT_TABLE_COMMAND, mkdirRemoteCommand, mountTableShowsSSHFS, sftpServerArgs, type SSHFSMountOptions, sshfsRemoteCommand } from "./sshfscommand.js";
import { sleep } from "../util/sleep.js";

/** How long a mount may take to appear in the guest's mount table (sshocker: 30 × 1 s). */
const MOUNT_APPEAR_TIMEOUT_MS = 30_000;
/** Between two looks at the guest's mount table (each one an ssh exec over the ControlMaster). */
const MOUNT_POLL_INTERVAL_MS = 300;
/** One `mkdir -p` or mount-table look in the guest. */
const GUEST_COMMAND_TIMEOUT_MS = 30_000;
/** How long killed processes get to be reaped before unmounting goes on. */
const EXIT_WAIT_MS = 5_000;
/** How much of the processes' stderr an error quotes. */
const STDERR_TAIL_CHARS = 2_000;
/** Lima's mkdir for the host directory. */
const LOCATION_MODE = 0o755;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGKILL");
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited(child), new Promise<void>((resolve) => (timer = setTimeout(resolve, EXIT_WAIT_MS)))]);
  clearTimeout(timer);
}

/** The two processes of one live mount, and what they said on stderr. */
class MountProcesses {
  private stderr = "";
  readonly ssh: ChildProcess;
  readonly sftpServer: ChildProcess;
  private closing = false;
  /** Set once the guest shows the mount: only then is an exit news (before, the attempt reports it). */
  mounted = false;

  constructor(target: SSHTarget, sftpServerBinary: string, location: string, mountPoint: string, o: SSHFSMountOptions) {
    this.sftpServer = spawn(sftpServerBinary, sftpServerArgs(location, o.readonly), { stdio: ["pipe", "pipe", "pipe"] });
    this.sftpServer.on("error", (err) => this.note(`sftp-server: ${err.message}\n`));
    const sftpOut = this.sftpServer.stdout as Readable;
    const sftpIn = this.sftpServer.stdin as Writable;
    // ssh reads what sftp-server writes and writes what it reads: the pipes' fds are handed over.
    this.ssh = spawn("ssh", [...target.sshArgs, "-p", String(target.port), target.address, "--", sshfsRemoteCommand(location, mountPoint, o)], {
      stdio: [sftpOut, sftpIn, "pipe"],
    });
    this.ssh.on("error", (err) => this.note(`ssh: ${err.message}\n`));
    // This process keeps no end of the pipes: either side's exit then ends the other.
    sftpOut.destroy();
    sftpIn.destroy();
    this.sftpServer.stderr?.on("data", (d: Buffer) => this.note(d.toString(), "sftp-server"));
    this.ssh.stderr?.on("data", (d: Buffer) => this.note(d.toString(), "ssh"));
    this.ssh.once("exit", (code, signal) => {
      if (this.mounted && !this.closing) logger.warn(`reverse sshfs for ${q(location)} on ${q(mountPoint)} exited (${signal ?? `status ${code}`})`, { stderr: this.stderrTail() });
    });
  }

  private note(text: string, from?: string): void {
    this.stderr = (this.stderr + text).slice(-STDERR_TAIL_CHARS);
    if (from) for (const line of text.split("\n").filter((l) => l.trim() !== "")) logger.debug(`${from}: ${line}`);
  }

  stderrTail(): string {
    return this.stderr.trim();
  }

  get sshExited(): boolean {
    return this.ssh.exitCode !== null || this.ssh.signalCode !== null;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([kill(this.ssh), kill(this.sftpServer)]);
  }
}

function mountOptions(m: Mount): SSHFSMountOptions {
  return { readonly: m.writable !== true, cache: m.sshfs?.cache !== false, followSymlinks: m.sshfs?.followSymlinks === true };
}

export class ReverseSSHFS {
  private readonly live: { location: string; processes: MountProcesses }[] = [];
  private closed = false;

  constructor(
    private readonly target: SSHTarget,
    private readonly signal: AbortSignal,
    private readonly findServer: () => string | undefined = findSftpServer,
  ) {}

  /** Mounts each entry in turn; returns one error message per mount that failed (Lima: degraded). */
  async mountAll(mounts: readonly Mount[]): Promise<string[]> {
    const errors: string[] = [];
    const started = Date.now();
    for (const [i, m] of mounts.entries()) {
      if (this.signal.aborted) break;
      try {
        await this.mount(m, `mounts[${i}].sshfs.sftpDriver`);
      } catch (err) {
        errors.push(errorMessage(err));
      }
    }
    logger.debug(`reverse-sshfs: ${mounts.length - errors.length} of ${mounts.length} mounts ready`, { elapsedMs: Date.now() - started });
    return errors;
  }

  private async mount(m: Mount, driverField: string): Promise<void> {
    const location = m.location;
    const mountPoint = m.mountPoint ?? location;
    const choice = chooseSftpServer(m.sshfs?.sftpDriver ?? "", this.findServer(), driverField);
    if ("error" in choice) throw new Error(`failed to mount reverse sshfs for ${q(location)} on ${q(mountPoint)}: ${choice.error}`);
    if (choice.warning) logger.warn(choice.warning);
    try {
      mkdirSync(location, { recursive: true, mode: LOCATION_MODE });
    } catch (err) {
      throw new Error(`failed to prepare reverse sshfs for ${q(location)} on ${q(mountPoint)}: cannot create the host directory: ${errorMessage(err)}`);
    }
    logger.info(`Mounting ${q(location)} on ${q(mountPoint)}`);
    const mkdir = await this.guest(mkdirRemoteCommand(mountPoint));
    if (mkdir.code !== 0) throw new Error(`failed to prepare reverse sshfs for ${q(location)} on ${q(mountPoint)}: failed to mkdir ${q(mountPoint)} (remote): ${mkdir.output}`);
    const options = mountOptions(m);
    const first = await this.attempt(choice.binary, location, mountPoint, options);
    if (first === undefined || this.signal.aborted) return;
    // libfuse 2 refuses a non-empty mount point unless told; libfuse 3 has no such option and fails again.
    logger.warn(`failed to mount reverse sshfs for ${q(location)} on ${q(mountPoint)}, retrying with \`-o nonempty\``, { error: first });
    const second = await this.attempt(choice.binary, location, mountPoint, { ...options, nonempty: true });
    if (second === undefined || this.signal.aborted) return;
    throw new Error(`failed to mount reverse sshfs for ${q(location)} on ${q(mountPoint)}: ${second}`);
  }

  /** One try: undefined once the guest shows the mount, else why not (the processes are gone then). */
  private async attempt(sftpServer: string, location: string, mountPoint: string, o: SSHFSMountOptions): Promise<string | undefined> {
    const processes = new MountProcesses(this.target, sftpServer, location, mountPoint, o);
    const entry = { location, processes };
    this.live.push(entry);
    const why = await this.waitForMount(processes, mountPoint);
    if (why === undefined && !this.closed) {
      processes.mounted = true;
      return undefined;
    }
    const index = this.live.indexOf(entry);
    if (index >= 0) this.live.splice(index, 1);
    await processes.close();
    return why ?? "canceled";
  }

  private async waitForMount(processes: MountProcesses, mountPoint: string): Promise<string | undefined> {
    const deadline = Date.now() + MOUNT_APPEAR_TIMEOUT_MS;
    let lastLook = "";
    while (!this.signal.aborted && !this.closed) {
      if (processes.sshExited) return `sshfs exited: ${processes.stderrTail() || `ssh exit status ${processes.ssh.exitCode}`}`;
      const table = await this.guest(MOUNT_TABLE_COMMAND);
      if (table.code === 0 && mountTableShowsSSHFS(table.stdout, mountPoint)) return undefined;
      if (table.code !== 0) lastLook = `; reading the mount table failed: ${table.output}`;
      if (Date.now() >= deadline) return `sshfs does not seem to be mounted on ${q(mountPoint)} after ${MOUNT_APPEAR_TIMEOUT_MS / 1000} s${lastLook}${processes.stderrTail() ? `: ${processes.stderrTail()}` : ""}`;
      await sleep(MOUNT_POLL_INTERVAL_MS, this.signal);
    }
    return "canceled";
  }

  private async guest(command: string): Promise<{ code: number; stdout: string; output: string }> {
    const args = [...this.target.sshArgs, "-p", String(this.target.port), this.target.address, "--", command];
    const res = await runSSH(args, undefined, GUEST_COMMAND_TIMEOUT_MS, this.signal);
    return { code: res.code, stdout: res.stdout, output: `${res.stderr}${res.stdout}`.trim() };
  }

  /** Unmounts everything (kills each mount's ssh and sftp-server), in Lima's order. */
  async unmountAll(): Promise<void> {
    this.closed = true;
    const live = this.live.splice(0);
    for (const { location, processes } of live) {
      logger.info(`Unmounting ${q(location)}`);
      await processes.close();
    }
  }
}
