import { spawn, spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import type { Command } from "commander";
import type { Instance } from "../../store/instance.js";
import { isDebug, logger } from "../../log/logger.js";
import { sshCommand } from "../../sshutil/command.js";
import { hostHasRsync, rsyncArgv, rsyncGuestPath } from "../../sshutil/rsync.js";
import { commonOpts, shellQuote, sshAddressOf, sshArgs, sshOpts } from "../../sshutil/sshutil.js";
import { ExitCodeError, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { inspectExisting, stoppedInstanceError } from "../instances.js";
import { boolFlag, checkArgs } from "../flags.js";

interface CopyPath {
  instance?: Instance;
  path: string;
}

type Backend = "scp" | "rsync";

/** Bound on the quick guest checks (is rsync there, is a path a directory). */
const GUEST_CHECK_TIMEOUT_MS = 30_000;

export function register(program: Command): Command {
  const cmd = program
    .command("copy")
    .alias("cp")
    .usage("SOURCE ... TARGET")
    .summary("Copy files between host and guest")
    .description("Copy files between host and guest\n\nPrefix guest filenames with the instance name and a colon.\n\nExample: limactl copy default:/etc/os-release .")
    .argument("[paths...]")
    .option("--backend <backend>", "Type of file transfer tool to use (scp, rsync, auto)", "auto");
  boolFlag(cmd, "-r, --recursive", "Copy directories recursively");
  boolFlag(cmd, "-v, --verbose", "Enable verbose output");
  cmd.action(async (_a: string[], opts: { backend: string; recursive?: boolean; verbose?: boolean }) => {
    checkArgs(cmd, cmd.args, 2);
    if (!["scp", "rsync", "auto"].includes(opts.backend)) throw new LimaError(`invalid backend ${q(opts.backend)}, must be one of: scp, rsync, auto`);
    const paths: CopyPath[] = [];
    for (const arg of cmd.args) paths.push(await parsePath(arg));
    const backend = chooseBackend(opts.backend, paths);
    const verbose = opts.verbose === true || isDebug();
    const argv = backend === "rsync" ? rsyncCommand(paths, opts.recursive === true, verbose) : scpArgs(paths, opts.recursive === true, verbose);
    logger.debug(`executing ${argv.join(" ")}`);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(argv[0] ?? backend, argv.slice(1), { stdio: "inherit" });
      child.on("error", reject);
      child.on("exit", (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new ExitCodeError(code);
  });
  return cmd;
}

async function parsePath(arg: string): Promise<CopyPath> {
  const parts = arg.split(":");
  if (parts.length === 1) return { path: arg };
  if (parts.length > 2) throw new LimaError(`path ${q(arg)} contains multiple colons`);
  const [name = "", p = ""] = parts;
  const inst = await inspectExisting(name);
  if (inst.status === "Stopped") throw stoppedInstanceError(name);
  return { instance: inst, path: p };
}

/** Runs a command in the guest over the instance's SSH options; whether it exited 0. */
function guestSucceeds(inst: Instance, command: string): boolean {
  const [ssh, ...prefix] = sshCommand();
  const argv = [...prefix, ...sshArgs(sshOpts(inst.dir, inst.config ?? {})), "-p", String(inst.sshLocalPort), sshAddressOf(inst), "--", command];
  return spawnSync(ssh ?? "ssh", argv, { stdio: "ignore", timeout: GUEST_CHECK_TIMEOUT_MS }).status === 0;
}

/** A guest path as a shell word: `~` stays expandable, the empty path is the home directory. */
export function guestShellWord(p: string): string {
  if (p === "" || p === "~") return "~";
  if (p.startsWith("~/")) return `~/${shellQuote(p.slice(2))}`;
  return shellQuote(p);
}

function isDirectory(p: CopyPath): boolean {
  if (p.instance) return guestSucceeds(p.instance, `test -d ${guestShellWord(p.path)}`);
  try {
    return statSync(p.path).isDirectory();
  } catch {
    return false;
  }
}

function chooseBackend(requested: string, paths: CopyPath[]): Backend {
  if (requested === "scp" || requested === "rsync") return requested;
  const remotes = paths.filter((p) => p.instance);
  const remoteToRemote = remotes.length === paths.length;
  if (!hostHasRsync() || remoteToRemote) return "scp";
  const instances = [...new Map(remotes.map((p) => [p.instance?.name, p.instance as Instance])).values()];
  return instances.every((inst) => guestSucceeds(inst, "command -v rsync >/dev/null 2>&1")) ? "rsync" : "scp";
}

function remoteUser(inst: Instance): string {
  return inst.config?.user?.name ?? "";
}

function scpArgs(paths: CopyPath[], recursive: boolean, verbose: boolean): string[] {
  const instances = new Set(paths.filter((p) => p.instance).map((p) => p.instance?.name));
  const single = instances.size === 1 ? paths.find((p) => p.instance)?.instance : undefined;
  const opts = single ? sshOpts(single.dir, single.config ?? {}) : commonOpts(paths.find((p) => p.instance)?.instance?.config ?? {});
  const args = ["scp", ...sshArgs(opts), verbose ? "-v" : "-q", ...(recursive ? ["-r"] : []), "-3", "--"];
  for (const p of paths) {
    if (!p.instance) args.push(p.path);
    else args.push(`scp://${remoteUser(p.instance)}@${sshAddressOf(p.instance)}:${p.instance.sshLocalPort}/${p.path}`);
  }
  return args;
}

/** What `scp -r` looks at to decide where a single source lands. */
export interface CopyShape {
  sourceIsDir: boolean;
  targetIsDir: boolean;
}

const stripSlashes = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, "") || "/" : p);
/** `INST:` alone is the guest home: adding a slash would make it `/`. */
const withSlash = (p: string): string => (p === "" || p.endsWith("/") ? p : `${p}/`);

/**
 * Rewrites paths so `rsync -r` lands where `scp -r` does: a directory copied onto an existing
 * directory goes inside it under its own name; onto a missing path it becomes that path. rsync
 * decides by trailing slashes instead (`SRC` nests, `SRC/` copies the contents), so the slashes
 * are set from the shape of source and target. Trailing slashes the user typed do not matter to scp.
 */
export function scpPlacement(paths: readonly string[], recursive: boolean, shape: CopyShape | undefined): string[] {
  if (!recursive) return [...paths];
  const sources = paths.slice(0, -1).map(stripSlashes);
  const target = paths.at(-1) ?? "";
  if (!shape || sources.length !== 1) return [...sources, target];
  const [source = ""] = sources;
  if (shape.targetIsDir) return [source, withSlash(target)];
  if (shape.sourceIsDir) return [withSlash(source), target];
  return [source, target];
}

/** Asks the file systems only what scpPlacement needs: the target first, the source only if needed. */
function copyShape(paths: CopyPath[], recursive: boolean): CopyShape | undefined {
  if (!recursive || paths.length !== 2) return undefined;
  const [source, target] = paths as [CopyPath, CopyPath];
  const targetIsDir = isDirectory(target);
  return { targetIsDir, sourceIsDir: !targetIsDir && isDirectory(source) };
}

function rsyncCommand(paths: CopyPath[], recursive: boolean, verbose: boolean): string[] {
  const inst = paths.find((p) => p.instance)?.instance;
  const placed = scpPlacement(
    paths.map((p) => p.path),
    recursive,
    copyShape(paths, recursive),
  );
  const named = placed.map((p, i) => {
    const owner = paths[i]?.instance;
    return owner ? rsyncGuestPath(owner, p) : p;
  });
  const toHost = paths.at(-1)?.instance === undefined;
  return ["rsync", ...rsyncArgv(inst, { recursive, verbose, toHost }, named)];
}
