import { execFile, spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { Command } from "commander";
import { guestAgentBinaryPath, guestAgentFileName } from "../../guestagent/binary.js";
import { ensureNerdctlArchive } from "../../instance/prepare.js";
import { logger } from "../../log/logger.js";
import * as filenames from "../../store/filenames.js";
import type { Instance } from "../../store/instance.js";
import { inspect } from "../../store/store.js";
import { LimaError } from "../../util/errors.js";
import { goQuote, q } from "../../util/goquote.js";
import { shareDir } from "../../util/pkgroot.js";
import { checkArgs } from "../flags.js";
import { stoppedInstanceError } from "../instances.js";

const DEFAULT_INSTANCE = "default";

/** How the guest is reached: `ssh -F $INST/ssh.config lima-NAME`, as Lima's guest-install. */
interface Target {
  flags: string[];
  host: string;
}

function exitError(exe: string, code: number | null, signal: NodeJS.Signals | null, err?: NodeJS.ErrnoException): LimaError {
  if (err?.code === "ENOENT") return new LimaError(`exec: ${goQuote(exe)}: executable file not found in $PATH`);
  return new LimaError(signal ? `signal: ${signal}` : `exit status ${code ?? 1}`);
}

/** Runs a program with its output on ours. */
function run(exe: string, args: readonly string[]): Promise<void> {
  logger.debug(`executing [${[exe, ...args].join(" ")}]`);
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (err) => reject(exitError(exe, null, null, err)));
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(exitError(exe, code, signal))));
  });
}

/** Runs a command in the guest and returns its stdout without the final newline. */
function output(target: Target, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("ssh", [...target.flags, target.host, ...args], (err, stdout) => {
      if (err) reject(exitError("ssh", typeof err.code === "number" ? err.code : null, err.signal ?? null, err as NodeJS.ErrnoException));
      else resolve(stdout.replace(/\n$/, ""));
    });
  });
}

interface Step {
  file: string;
  /** `mktemp -t` template of the guest temp file. */
  mktemp: string;
  copying: string;
  installing: string;
  install: (tmp: string) => string[];
}

/** Copies a host file into a guest temp file, installs it from there, removes it. */
async function copyAndInstall(target: Target, step: Step): Promise<void> {
  const tmp = await output(target, ["mktemp", "-t", step.mktemp]);
  logger.info(step.copying);
  await run("scp", [...target.flags, step.file, `${target.host}:${tmp}`]);
  logger.info(step.installing);
  await run("ssh", [...target.flags, target.host, ...step.install(tmp)]);
  await output(target, ["rm", tmp]).catch(() => undefined);
}

/** The guest agent for the instance arch; a `.gz` one is decompressed into `tmpDir`. */
async function guestAgentFile(inst: Instance, tmpDir: string): Promise<{ file: string; name: string }> {
  const arch = inst.config?.arch;
  const found = arch === "x86_64" || arch === "aarch64" ? guestAgentBinaryPath(arch) : undefined;
  if (!found) {
    const name = arch === "x86_64" || arch === "aarch64" ? guestAgentFileName(arch) : `lima-guestagent.Linux-${arch ?? ""}`;
    throw new LimaError(`guest agent binary ${q(name)} not found in ${goQuote(shareDir())} (run \`npm run build\` in the lima-ts directory to build it)`);
  }
  if (!found.endsWith(".gz")) return { file: found, name: path.basename(found) };
  logger.debug(`Decompressing ${found}`);
  const file = path.join(tmpDir, "lima-guestagent");
  await pipeline(createReadStream(found), createGunzip(), createWriteStream(file));
  return { file, name: path.basename(found, ".gz") };
}

async function guestInstall(name: string): Promise<void> {
  const inst = await inspect(name);
  if (inst.status === "Stopped") throw stoppedInstanceError(name);
  const config = inst.config ?? {};
  const target: Target = { flags: ["-F", path.join(inst.dir, filenames.SSHConfig)], host: `lima-${inst.name}` };
  const prefix = config.guestInstallPrefix ?? "/usr/local";
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), "lima-guestagent-"));
  try {
    const agent = await guestAgentFile(inst, tmpDir);
    const bin = `${prefix}/bin/lima-guestagent`;
    await copyAndInstall(target, {
      file: agent.file,
      mktemp: "lima-guestagent.XXXXXX",
      copying: `Copying ${q(agent.name)} to ${inst.name}:lima-guestagent`,
      installing: `Installing lima-guestagent to ${bin}`,
      install: (tmp) => ["sudo", "install", "-m", "755", tmp, bin],
    });
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  const archive = await ensureNerdctlArchive(inst, config);
  if (archive === undefined) return;
  await copyAndInstall(target, {
    file: archive,
    mktemp: "nerdctl-full.XXXXXX.tgz",
    copying: `Copying ${q(path.basename(archive))} to ${inst.name}:nerdctl-full.tgz`,
    installing: `Installing nerdctl-full.tgz in ${prefix}`,
    install: (tmp) => ["sudo", "tar", "Cxzf", prefix, tmp],
  });
}

export function register(program: Command): Command {
  const cmd = program
    .command("guest-install", { hidden: true })
    .usage("INSTANCE")
    .summary("Install guest components")
    .description("Install guest components")
    .argument("[instance...]");
  cmd.action(async (args: string[]) => {
    checkArgs(cmd, args, 0, 1);
    await guestInstall(args[0] ?? DEFAULT_INSTANCE);
  });
  return cmd;
}
