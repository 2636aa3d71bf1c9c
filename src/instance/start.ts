// `limactl start` of an existing instance: prepare, spawn the detached host agent, follow its
// events until the instance is running (or the host agent gives up), with a timeout.
import { spawn } from "node:child_process";
import { reconcileNetworks } from "../networks/reconcile.js";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { guestAgentBinaryPath, guestAgentFileName } from "../guestagent/binary.js";
import { type Event, LineFollower, parseEvent } from "../hostagent/events.js";
import { type Level, LEVELS, logger } from "../log/logger.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { isProcessAlive, readPidFile } from "../store/pidfile.js";
import { inspect } from "../store/store.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { runAnsiblePlaybooks } from "./ansible.js";
import { StartEvents } from "./startevents.js";
import { type Prepared, prepareInstance } from "./prepare.js";
import { acquireStartLock, LockHeldError, lockHolder, START_LOCK } from "./startlock.js";
import { stopForcibly } from "./stop.js";
import { sleep } from "../util/sleep.js";

export interface StartOptions {
  timeoutMs: number;
  foreground?: boolean;
  debug?: boolean;
  /** `--progress`: show cloud-init's output in the guest, and wait for it to finish. */
  progress?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** Takes the start lock; a live holder means the instance may look Running but is still booting. */
function lockForStart(inst: Instance): () => void {
  try {
    return acquireStartLock(inst.dir);
  } catch (err) {
    if (err instanceof LockHeldError) throw beingStarted(inst, err.holder);
    throw err;
  }
}

function beingStarted(inst: Instance, holder: number): LimaError {
  return new LimaError(`instance ${q(inst.name)} is being started by another process (pid ${holder}); wait for it, or stop it with \`limactl stop -f ${inst.name}\``);
}

function refuseIfBeingStarted(inst: Instance): void {
  const holder = lockHolder(path.join(inst.dir, START_LOCK));
  if (holder > 0 && holder !== process.pid && isProcessAlive(holder)) throw beingStarted(inst, holder);
}

let foregroundExit: Promise<number> | undefined;

function limactlEntry(): string {
  return process.argv[1] ?? fileURLToPath(import.meta.url);
}

/** Linux guests that are not plain run the guest agent; only their host agent follows cloud-init for `--progress`, as Lima's. */
function hasGuestAgent(inst: Instance): boolean {
  const config = inst.config ?? {};
  return !config.plain && (config.os ?? "Linux") === "Linux";
}

/**
 * The guest agent to put into cidata: Linux guests that are not plain. A missing one does not stop
 * the start (the guest works, without port forwarding), but it is said at once with the fix.
 */
function guestAgentFor(inst: Instance): string | undefined {
  const config = inst.config ?? {};
  if (!hasGuestAgent(inst)) return undefined;
  const arch = config.arch === "aarch64" ? "aarch64" : config.arch === "x86_64" ? "x86_64" : undefined;
  const binary = arch ? guestAgentBinaryPath(arch) : undefined;
  if (!binary) {
    const name = arch ? guestAgentFileName(arch) : `lima-guestagent.Linux-${config.arch ?? "?"}`;
    logger.warn(`${name} was not found (run \`npm run build\` in the lima-ts directory to build it); the guest will have no guest agent, so no port is forwarded`);
  }
  return binary;
}

function spawnHostAgent(inst: Instance, options: StartOptions, prepared: Prepared): number {
  const guestAgent = guestAgentFor(inst);
  const stdoutLog = path.join(inst.dir, filenames.HostAgentStdoutLog);
  const stderrLog = path.join(inst.dir, filenames.HostAgentStderrLog);
  rmSync(stdoutLog, { force: true });
  rmSync(stderrLog, { force: true });
  const out = openSync(stdoutLog, "w", 0o644);
  const err = openSync(stderrLog, "w", 0o644);
  const args = [
    ...process.execArgv,
    limactlEntry(),
    ...(options.debug ? ["--debug"] : []),
    "hostagent",
    "--pidfile",
    path.join(inst.dir, filenames.HostAgentPID),
    "--socket",
    path.join(inst.dir, filenames.HostAgentSock),
    ...(guestAgent ? ["--guestagent", guestAgent] : []),
    ...(prepared.nerdctlArchive ? ["--nerdctl-archive", prepared.nerdctlArchive] : []),
    ...(options.progress ? ["--progress"] : []),
    inst.name,
  ];
  const child = spawn(process.execPath, args, { detached: !options.foreground, stdio: ["ignore", out, err], cwd: inst.dir });
  closeSync(out);
  closeSync(err);
  if (!options.foreground) {
    child.unref();
    return child.pid ?? 0;
  }
  // --foreground (e.g. under systemd): this process lives as long as the host agent and passes
  // SIGINT/SIGTERM on, so stopping the service stops the VM.
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  foregroundExit = new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
  return child.pid ?? 0;
}

async function waitForPidFile(inst: Instance, haPid: number): Promise<void> {
  const file = path.join(inst.dir, filenames.HostAgentPID);
  for (let i = 0; i < 50; i++) {
    if (readPidFile(file) > 0) return;
    if (!isProcessAlive(haPid)) break;
    await sleep(100);
  }
  const stderr = lastLines(path.join(inst.dir, filenames.HostAgentStderrLog), 5);
  throw new LimaError(`hostagent (PID ${haPid}) did not start up${stderr ? `:\n${stderr}` : ""} (see ${q(path.join(inst.dir, filenames.HostAgentStderrLog))})`);
}

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-n).join("\n");
  } catch {
    return "";
  }
}

/** Re-renders one JSON log line of the host agent with a `[hostagent] ` prefix. */
export function propagateLogLine(line: string, since: number): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.info(line);
    return;
  }
  const time = Date.parse(String(entry.time ?? ""));
  if (Number.isFinite(time) && time < since - 1000) return;
  let level = String(entry.level ?? "info") as Level;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (!["level", "msg", "time"].includes(k)) fields[k] = v;
  if (level === "fatal" || level === "panic") {
    fields.level = level;
    level = "error";
  }
  if (!LEVELS.includes(level)) level = "info";
  logger.log(level, `[hostagent] ${String(entry.msg ?? "")}`, fields);
}

/** The events among the new lines; anything else (a stray print, a torn line) is skipped, not fatal. */
function newEvents(follower: LineFollower): Event[] {
  const out: Event[] = [];
  for (const line of follower.poll()) {
    try {
      out.push(parseEvent(line));
    } catch (err) {
      logger.debug(`skipping a line of ${q(filenames.HostAgentStdoutLog)} that is not an event`, { line, error: errorMessage(err) });
    }
  }
  return out;
}

/** Follows ha.stdout.log (events) and ha.stderr.log (logs) until `done` says stop. */
export async function watchHostAgent(
  inst: Instance,
  timeoutMs: number,
  haPid: number,
  done: (ev: Event) => boolean,
  fromEnd = false,
): Promise<"done" | "timeout" | "exited"> {
  const since = Date.now();
  const events = new LineFollower(path.join(inst.dir, filenames.HostAgentStdoutLog), fromEnd);
  const logs = new LineFollower(path.join(inst.dir, filenames.HostAgentStderrLog), fromEnd);
  const deadline = since + timeoutMs;
  try {
    for (;;) {
      for (const line of logs.poll()) propagateLogLine(line, since);
      for (const ev of newEvents(events)) {
        if (Date.parse(ev.time) < since - 1000) continue;
        if (done(ev)) return "done";
      }
      if (haPid > 0 && !isProcessAlive(haPid)) {
        for (const line of logs.poll()) propagateLogLine(line, since);
        for (const ev of newEvents(events)) if (done(ev)) return "done";
        return "exited";
      }
      if (Date.now() > deadline) return "timeout";
      await sleep(200);
    }
  } finally {
    events.close();
    logs.close();
  }
}

export async function startInstance(inst: Instance, options: StartOptions = { timeoutMs: DEFAULT_TIMEOUT_MS }): Promise<void> {
  refuseIfBeingStarted(inst);
  if (inst.status === "Running") {
    logger.info(`The instance ${q(inst.name)} is already running. Run \`${shellCommand(inst.name)}\` to open the shell.`);
    return;
  }
  const release = lockForStart(inst);
  try {
    if (inst.status !== "Stopped") {
      logger.warn(`expected status ${q("Stopped")}, got ${q(inst.status)}`);
      if ((inst.hostAgentPID ?? 0) === 0) {
        // A VM left behind by a killed host agent would hold the disk; nothing else owns it any more.
        logger.warn(`Cleaning up the leftovers of a previous run of ${q(inst.name)} (host agent not running)`);
        await stopForcibly(inst);
      }
    }
    if (readPidFile(path.join(inst.dir, filenames.HostAgentPID)) > 0) {
      throw new LimaError(`instance ${q(inst.name)} seems running (hint: remove ${q(path.join(inst.dir, filenames.HostAgentPID))})`);
    }
    const prepared = await prepareInstance(inst, { requireNerdctlArchive: true });
    await reconcileNetworks(inst.name);
    const haPid = spawnHostAgent(inst, options, prepared);
    await waitForPidFile(inst, haPid);
    await followStart(inst, options, haPid);
  } finally {
    release();
  }
  if (foregroundExit) {
    const code = await foregroundExit;
    if (code !== 0) throw new LimaError(`host agent exited with status ${code}`);
  }
}

function shellCommand(name: string): string {
  return name === "default" ? "lima" : `limactl shell ${name}`;
}

async function followStart(inst: Instance, options: StartOptions, haPid: number): Promise<void> {
  // Only a host agent that follows cloud-init reports its completion (Lima waits for it in plain mode too, until the timeout).
  const result = new StartEvents(options.progress === true && hasGuestAgent(inst));
  const outcome = await watchHostAgent(inst, options.timeoutMs, haPid, (ev) => result.onEvent(ev));
  const stderrLog = path.join(inst.dir, filenames.HostAgentStderrLog);
  if (outcome === "timeout" && result.running && !result.degraded) {
    logger.warn(`cloud-init has not finished within ${options.timeoutMs / 1000}s; see /var/log/cloud-init-output.log in the guest`);
  } else if (outcome === "timeout") {
    throw new LimaError(`did not receive an event with the "running" status within ${options.timeoutMs / 1000}s (hint: see ${q(stderrLog)}, and ${q(path.join(inst.dir, filenames.SerialLog))} for the guest console)`);
  }
  if (outcome === "exited" && !result.running) {
    throw new LimaError(`host agent process has exited${result.errors.length ? `: ${result.errors.join("; ")}` : ""} (hint: see ${q(stderrLog)})`);
  }
  if (result.exiting) throw new LimaError(`exiting, status=${JSON.stringify({ exiting: true, errors: result.errors })} (hint: see ${q(stderrLog)})`);
  if (result.degraded) {
    logger.warn(`DEGRADED. The VM seems running, but file sharing and port forwarding may not work. (hint: see ${q(stderrLog)})`);
    throw new LimaError(`degraded, status=${JSON.stringify({ running: true, degraded: true, errors: result.errors })}`);
  }
  const cfg = inst.config;
  await runAnsiblePlaybooks(inst);
  const hint = cfg?.plain ? `ssh -F ${q(path.join(inst.dir, filenames.SSHConfig))} lima-${inst.name}` : shellCommand(inst.name);
  logger.info(`READY. Run \`${hint}\` to open the shell.`);
  const fresh = await inspect(inst.name);
  if (fresh.message) {
    logger.info(`Message from the instance ${q(inst.name)}:`);
    process.stdout.write(`${fresh.message.replace(/\n?$/, "\n")}`);
  }
}

export async function startInstanceByName(name: string, options?: StartOptions): Promise<void> {
  await startInstance(await inspect(name), options);
}

