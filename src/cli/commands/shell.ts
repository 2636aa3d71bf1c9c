import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import type { Instance } from "../../store/instance.js";
import { logger } from "../../log/logger.js";
import { inspect } from "../../store/store.js";
import { sshCommand } from "../../sshutil/command.js";
import { controlMasterExists, exitControlMaster, removeStaleControlMaster } from "../../sshutil/controlmaster.js";
import { shellQuote, sshAddressOf, sshArgs, sshOpts } from "../../sshutil/sshutil.js";
import { filterEnv } from "../../util/envfilter.js";
import { ExitCodeError, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { inspectExisting, stoppedInstanceError } from "../instances.js";
import { boolFlag } from "../flags.js";
import { globals } from "../globals.js";

interface ShellOptions {
  instance?: string;
  shell?: string;
  workdir?: string;
  reconnect?: boolean;
  preserveEnv?: boolean;
  start?: boolean;
  sync?: string;
}

export function register(program: Command): Command {
  const cmd = program
    .command("shell")
    .usage("[flags] INSTANCE [COMMAND...]")
    .summary("Execute shell in Lima")
    .description("Execute shell in Lima")
    .argument("[args...]")
    .passThroughOptions()
    .option("--instance <name>", "Instance name (used by the lima wrapper)")
    .option("--shell <shell>", "Shell interpreter, e.g. /bin/bash")
    .option("--workdir <dir>", "Working directory")
    .option("--sync <dir>", "Copy a host directory to the guest and vice-versa upon exit");
  cmd.options.find((o) => o.long === "--instance")?.hideHelp();
  boolFlag(cmd, "--reconnect", "Reconnect to the SSH session");
  boolFlag(cmd, "--preserve-env", "Propagate environment variables to the shell");
  boolFlag(cmd, "--start", "Start the instance if it is not already running");
  cmd.action(async (args: string[], opts: ShellOptions) => shell(args, opts));
  return cmd;
}

function splitArgs(args: string[], opts: ShellOptions): { name: string; command: string[] } {
  if (opts.instance) return { name: opts.instance, command: args[0] === "--" ? args.slice(1) : args };
  if (args.length === 0) throw new LimaError("requires instance name as first argument");
  const [name = "", ...rest] = args;
  return { name, command: rest[0] === "--" ? rest.slice(1) : rest };
}

function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The `cd` part of the remote script (Lima's working-directory rules). */
export function workdirCommand(inst: Instance, workdir: string | undefined, cwd: string, home: string): string {
  if (workdir) return `cd ${shellQuote(workdir)} || exit 1`;
  const mounts = (inst.config?.mounts ?? []).map((m) => realpath(m.location));
  const realCwd = realpath(cwd);
  if (mounts.some((m) => isWithin(realCwd, m)) || inst.vmType === "wsl2") return `cd ${shellQuote(cwd)} || cd ${shellQuote(home)}`;
  if (mounts.some((m) => isWithin(realpath(home), m))) return `cd ${shellQuote(home)}`;
  return "false";
}

/** `exec [env K=V...] SHELL -l [-c 'COMMAND']`, env assignments first as Lima does. */
export function remoteScript(cdCommand: string, shellPath: string, command: string[], env: string[]): string {
  let script = `${cdCommand} ; exec`;
  if (env.length > 0) script += ` env ${env.map(shellQuote).join(" ")}`;
  script += ` ${shellPath} -l`;
  if (command.length === 0) return script;
  const words: string[] = [];
  let leading = true;
  for (const word of command) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
    if (leading && m) {
      words.push(`${m[1]}=${shellQuote(m[2] ?? "")}`);
      continue;
    }
    leading = false;
    words.push(shellQuote(word));
  }
  return `${script} -c ${shellQuote(words.join(" "))}`;
}

async function shell(args: string[], opts: ShellOptions): Promise<void> {
  const { name, command } = splitArgs(args, opts);
  if (["create", "start", "delete", "shell"].includes(command[0] ?? "")) logger.warn(`Perhaps you meant \`limactl ${command.join(" ")}\`?`);
  let inst = await inspectExisting(name);
  if (inst.errors?.length) logger.error(`instance ${q(name)} has errors`, { errors: inst.errors });
  if (inst.status === "Stopped") {
    if (!opts.start) throw stoppedInstanceError(name);
    // Loaded only here: starting pulls in the VM driver, which a shell into a running instance does not need.
    const { DEFAULT_TIMEOUT_MS, startInstance } = await import("../../instance/start.js");
    await startInstance(inst, { timeoutMs: DEFAULT_TIMEOUT_MS, debug: globals().debug });
    inst = await inspect(name);
  }
  const config = inst.config;
  if (!config) throw new LimaError(`instance ${JSON.stringify(name)} has no configuration`);
  if (opts.reconnect && controlMasterExists(inst.dir)) await exitSSHSession(inst);
  // Loaded only for --sync: plain `shell` start-up stays lean.
  const sync = opts.sync ? (await import("../shellsync.js")).prepareSync(inst, opts.sync, opts.workdir) : undefined;
  const shellPath = opts.shell ?? config.user?.shell ?? '"$SHELL"';
  const env = opts.preserveEnv ? filterEnv() : [];
  const cdCommand = sync ? `cd ${shellQuote(sync.guestDir)}` : workdirCommand(inst, opts.workdir, process.cwd(), os.homedir());
  const script = remoteScript(cdCommand, shellPath, command, env);
  await sync?.toGuest();
  const [ssh, ...sshPrefix] = sshCommand();
  const tty = Boolean(process.stdout.isTTY && process.stdin.isTTY);
  const sshArgv = [
    ...sshPrefix,
    ...sshArgs(sshOpts(inst.dir, config)),
    ...(tty ? ["-t"] : []),
    ...(process.env.COLORTERM ? ["-o", "SendEnv=COLORTERM"] : []),
    "-o",
    "LogLevel=ERROR",
    "-p",
    String(inst.sshLocalPort ?? 0),
    sshAddressOf(inst),
    "--",
    script,
  ];
  logger.debug(`executing ssh (may take a long time): ${[ssh, ...sshArgv].join(" ")}`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(ssh ?? "ssh", sshArgv, { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (c, sig) => resolve(c ?? (sig ? 128 + (os.constants.signals[sig] ?? 0) : 1)));
  });
  if (code !== 0) throw new ExitCodeError(code);
  await sync?.back(globals().tty);
}

/** `--reconnect`: end the ControlMaster so this ssh opens a new connection; clear a dead master's socket. */
async function exitSSHSession(inst: Instance): Promise<void> {
  logger.info(`Exiting ssh session for the instance ${q(inst.name)}`);
  try {
    exitControlMaster(inst);
  } catch (err) {
    if (!(await removeStaleControlMaster(inst.dir))) throw err;
    logger.warn(`Removed stale ssh control socket for the instance ${q(inst.name)} after the master had already exited`, { error: err });
  }
}
