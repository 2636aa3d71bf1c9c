// External driver server processes, as Lima runs them (pkg/driver/external/server): one server per
// instance on `$INST/<name>.drv.sock`, started on first use with `<program> --inst-dir $INST`,
// stderr appended to `$INST/driver.stderr.log`, its PID in `$INST/<name>.drv.pid`; a live
// socket is reused. No gRPC here: `limactl stop -f`/`delete` stop servers without loading it.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { isProcessAlive } from "../../store/pidfile.js";
import { sleep } from "../../util/sleep.js";

export const DRIVER_STDERR_LOG = "driver.stderr.log";
/** How long a connection attempt may take before an existing socket counts as dead. */
export const SOCKET_PROBE_TIMEOUT_MS = 2_000;
/** How long a new server has to open its socket. */
export const SERVER_START_TIMEOUT_MS = 10_000;
const SERVER_START_POLL_MS = 100;
/** How long a server has to exit after SIGTERM before SIGKILL. */
export const SERVER_STOP_TIMEOUT_MS = 10_000;
const SERVER_STOP_POLL_MS = 200;
const KILL_WAIT_MS = 2_000;
const KILL_POLL_MS = 20;
const LOG_TAIL_LINES = 10;

export function driverSocketPath(instDir: string, name: string): string {
  return path.join(instDir, `${name}.drv.sock`);
}

export function driverPidPath(instDir: string, name: string): string {
  return path.join(instDir, `${name}.drv.pid`);
}

export function driverLogPath(instDir: string): string {
  return path.join(instDir, DRIVER_STDERR_LOG);
}

/** True when something accepts a connection on the unix socket within `timeoutMs`. */
export function canConnect(socketPath: string, timeoutMs = SOCKET_PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The last lines of the driver log written since `fromByte`, for error messages. */
function logTail(logPath: string, fromByte = 0): string {
  let text: string;
  try {
    text = readFileSync(logPath).subarray(fromByte).toString("utf8");
  } catch {
    return "";
  }
  return text.trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
}

/** `<what>; see <log>` plus the log's last lines when it has any. */
export function withLogTail(message: string, logPath: string, fromByte = 0): string {
  const tail = logTail(logPath, fromByte);
  return tail === "" ? `${message} (see ${logPath})` : `${message}; ${logPath} ends with:\n${tail}`;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export interface DriverServerOptions {
  signal?: AbortSignal;
}

/**
 * Makes sure the driver server of `instDir` runs and returns its socket: reuses a socket that
 * accepts a connection, otherwise spawns the program and waits for its socket.
 */
export async function ensureDriverServer(program: string, name: string, instDir: string, options: DriverServerOptions = {}): Promise<string> {
  const socketPath = driverSocketPath(instDir, name);
  if (await canConnect(socketPath)) return socketPath;
  await spawnDriverServer(program, name, instDir, options.signal);
  return socketPath;
}

async function spawnDriverServer(program: string, name: string, instDir: string, signal?: AbortSignal): Promise<void> {
  const socketPath = driverSocketPath(instDir, name);
  const pidPath = driverPidPath(instDir, name);
  const logPath = driverLogPath(instDir);
  const logStart = fileSize(logPath);
  const child = await spawnDetached(program, ["--inst-dir", instDir], logPath);
  const pid = child.pid as number;
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, sig) => {
      exit = sig ? `killed by ${sig}` : `exit status ${code}`;
      forgetIfOurs(instDir, name, pid);
      resolve();
    }),
  );
  writePidFile(pidPath, pid, child);
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  for (;;) {
    if (exit !== undefined) throw new Error(withLogTail(`external driver ${program} exited (${exit}) before opening ${socketPath}`, logPath, logStart));
    if (signal?.aborted) {
      child.kill("SIGKILL");
      await exited;
      throw signal.reason instanceof Error ? signal.reason : new Error(`starting external driver ${program}: canceled`);
    }
    if (await canConnect(socketPath, SERVER_START_POLL_MS)) break;
    if (Date.now() >= deadline) {
      child.kill("SIGKILL");
      await exited;
      const seconds = SERVER_START_TIMEOUT_MS / 1000;
      throw new Error(withLogTail(`external driver ${program} did not open ${socketPath} within ${seconds}s and was killed`, logPath, logStart));
    }
    await sleep(SERVER_START_POLL_MS, signal);
  }
  // The server outlives this process (the host agent reuses it); do not keep the event loop alive.
  child.unref();
}

function spawnDetached(program: string, args: string[], logPath: string): Promise<ChildProcess> {
  const logFd = openSync(logPath, "a", 0o644);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { detached: true, stdio: ["ignore", "ignore", logFd] });
    closeSync(logFd);
    child.once("error", (err) => reject(new Error(`starting external driver ${program}: ${err.message}`, { cause: err })));
    child.once("spawn", () => resolve(child));
  });
}

function writePidFile(pidPath: string, pid: number, child: ChildProcess): void {
  try {
    // Lima writes the bare number (no newline).
    writeFileSync(pidPath, String(pid), { mode: 0o644 });
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`writing the driver PID file ${pidPath}: ${(err as Error).message}`, { cause: err });
  }
}

function readPid(pidPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidPath, "utf8").trim();
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 && String(pid) === text ? pid : undefined;
}

/** Removes the PID file and socket of `name` when the PID file still names `pid`. */
function forgetIfOurs(instDir: string, name: string, pid: number): void {
  if (readPid(driverPidPath(instDir, name)) !== pid) return;
  rmSync(driverPidPath(instDir, name), { force: true });
  rmSync(driverSocketPath(instDir, name), { force: true });
}

/** True when the instance's `<name>.drv.pid` names a live process. */
export function driverServerAlive(instDir: string, name: string): boolean {
  const pid = readPid(driverPidPath(instDir, name));
  return pid !== undefined && isProcessAlive(pid);
}

/**
 * After a transport failure: a server whose process is gone leaves its PID file and socket
 * behind, and one that is alive but does not speak the protocol would be reused by the next
 * start. `kill` kills the latter; either way the files go, so the next start spawns afresh.
 */
export function discardDriverServer(instDir: string, name: string, { kill }: { kill: boolean }): void {
  const pidPath = driverPidPath(instDir, name);
  const pid = readPid(pidPath);
  if (pid !== undefined && isProcessAlive(pid)) {
    if (!kill) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  rmSync(pidPath, { force: true });
  rmSync(driverSocketPath(instDir, name), { force: true });
}

/**
 * Stops every driver server of the instance (`*.drv.pid`): SIGTERM and up to 10 s to exit, then
 * SIGKILL; `force` sends SIGKILL at once. Removes the PID files and `*.drv.sock`.
 */
export async function stopDriverServers(instDir: string, { force = false }: { force?: boolean } = {}): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(instDir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.endsWith(".drv.pid")).map((n) => stopOne(path.join(instDir, n), force)));
  for (const n of names.filter((n) => n.endsWith(".drv.sock"))) rmSync(path.join(instDir, n), { force: true });
}

async function stopOne(pidPath: string, force: boolean): Promise<void> {
  const pid = readPid(pidPath);
  if (pid !== undefined && isProcessAlive(pid)) {
    signalProcess(pid, force ? "SIGKILL" : "SIGTERM");
    if (!force) {
      const deadline = Date.now() + SERVER_STOP_TIMEOUT_MS;
      while (isProcessAlive(pid) && Date.now() < deadline) await sleep(SERVER_STOP_POLL_MS);
      if (isProcessAlive(pid)) signalProcess(pid, "SIGKILL");
    }
    // SIGKILL is delivered asynchronously: callers expect the server gone when this returns.
    const deadline = Date.now() + KILL_WAIT_MS;
    while (isProcessAlive(pid) && Date.now() < deadline) await sleep(KILL_POLL_MS);
  }
  rmSync(pidPath, { force: true });
}

function signalProcess(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
