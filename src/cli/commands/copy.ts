import { spawn, spawnSync } from "node:child_process";
import type { Command } from "commander";
import type { Instance } from "../../store/instance.js";
import { isDebug, logger } from "../../log/logger.js";
import { sshCommand } from "../../sshutil/command.js";
import { commonOpts, shellQuote, sshArgs, sshOpts } from "../../sshutil/sshutil.js";
import { ExitCodeError, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { inspectExisting, stoppedInstanceError } from "../instances.js";
import { boolFlag, checkArgs } from "../flags.js";

interface CopyPath {
  instance?: Instance;
  path: string;
}

type Backend = "scp" | "rsync";

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
    const argv = backend === "rsync" ? rsyncArgs(paths, opts.recursive === true, verbose) : scpArgs(paths, opts.recursive === true, verbose);
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

function hasRsync(): boolean {
  return spawnSync("sh", ["-c", "command -v rsync"], { stdio: "ignore" }).status === 0;
}

function guestHasRsync(inst: Instance): boolean {
  const res = spawnSync("ssh", [...sshArgs(sshOpts(inst.dir, inst.config ?? {})), "-p", String(inst.sshLocalPort), "127.0.0.1", "--", "command -v rsync"], { stdio: "ignore", timeout: 30_000 });
  return res.status === 0;
}

function chooseBackend(requested: string, paths: CopyPath[]): Backend {
  if (requested === "scp" || requested === "rsync") return requested;
  const remotes = paths.filter((p) => p.instance);
  const remoteToRemote = remotes.length === paths.length;
  if (!hasRsync() || remoteToRemote) return "scp";
  const instances = [...new Map(remotes.map((p) => [p.instance?.name, p.instance as Instance])).values()];
  return instances.every(guestHasRsync) ? "rsync" : "scp";
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
    else args.push(`scp://${remoteUser(p.instance)}@127.0.0.1:${p.instance.sshLocalPort}/${p.path}`);
  }
  return args;
}

/** With -r, sources lose trailing slashes so rsync copies the directory itself, as `scp -r` does. */
function rsyncPaths(paths: CopyPath[], recursive: boolean): CopyPath[] {
  if (!recursive) return paths;
  return paths.map((p, i) => (i < paths.length - 1 && p.path.length > 1 ? { ...p, path: p.path.replace(/\/+$/, "") } : p));
}

function rsyncArgs(paths: CopyPath[], recursive: boolean, verbose: boolean): string[] {
  const inst = paths.find((p) => p.instance)?.instance as Instance;
  const [ssh, ...prefix] = sshCommand();
  const sshCmd = [ssh ?? "ssh", ...prefix, ...sshArgs(sshOpts(inst.dir, inst.config ?? {})), "-p", String(inst.sshLocalPort)].map(shellQuote).join(" ");
  const args = ["rsync", "-a", ...(verbose ? ["-v", "--progress"] : ["-q"]), ...(recursive ? ["-r"] : []), "-e", sshCmd, "--"];
  for (const p of rsyncPaths(paths, recursive)) {
    args.push(p.instance ? `${remoteUser(p.instance)}@127.0.0.1:${p.path}` : p.path);
  }
  return args;
}
