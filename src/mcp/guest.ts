// The tools' backend for a running instance, as Lima's toolset reaches it: files over SFTP
// (`ssh -F $INST/ssh.config lima-<name> -s sftp`), commands through `limactl shell --workdir`.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { hostnameOf } from "../identifiers/validate.js";
import { logger, rfc3339 } from "../log/logger.js";
import { sshCommand } from "../sshutil/command.js";
import { SSHConfig } from "../store/filenames.js";
import { glob, goFileMode, guestPathOf } from "./policy.js";
import { isDirMode, SFTPClient } from "./sftp.js";
import type { ListDirectoryEntry, RunShellCommandResult, ToolBackend } from "./tools.js";

/** The fields of `limactl list --json INSTANCE` the server uses. */
export interface InstanceSummary {
  name: string;
  status: string;
  dir: string;
  config?: { mounts?: unknown[] };
  errors?: unknown[];
}

/** Output limit of one tool command (stdout and stderr each). */
const COMMAND_MAX_BUFFER = 64 * 1024 * 1024;

/** The `limactl` the tools run: $LIMACTL, else `limactl` on PATH (plugins run with limactl's dir first). */
export function limactlProgram(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIMACTL || "limactl";
}

/** `limactl list --json INSTANCE` (Lima: limactlutil.Inspect). */
export function inspectInstance(limactl: string, name: string): Promise<InstanceSummary> {
  return new Promise((resolve, reject) => {
    execFile(limactl, ["list", "--json", name], { maxBuffer: COMMAND_MAX_BUFFER }, (err, stdout, stderr) => {
      if (err) {
        const status = typeof err.code === "number" ? `exit status ${err.code}` : err.message;
        return reject(new Error(`failed to run [${limactl} list --json ${name}]: stdout=\`${stdout}\`, stderr=\`${stderr}\`: ${status}`));
      }
      const line = stdout.trim();
      if (line === "") return reject(new Error(`instance \`${name}\` does not exist, run \`limactl create --name=${name}\` to create a new instance`));
      resolve(JSON.parse(line) as InstanceSummary);
    });
  });
}

/** Refuses an instance the tools cannot work in (Lima: RegisterInstance). */
export function checkInstance(inst: InstanceSummary): void {
  if (inst.errors && inst.errors.length > 0) throw new Error(inst.errors.map(String).join("\n"));
  if (inst.status !== "Running") throw new Error(`expected status of instance \`${inst.name}\` to be \`Running\`, got \`${inst.status}\``);
  if (!inst.config?.mounts || inst.config.mounts.length === 0) logger.warn(`instance \`${inst.name}\` has no mount`);
}

/** Go's `exit status N` / `signal: NAME` of a finished command. */
function exitError(code: number | null, signal: NodeJS.Signals | null): string | undefined {
  if (signal !== null) return `signal: ${signal === "SIGKILL" ? "killed" : signal === "SIGTERM" ? "terminated" : signal}`;
  return code === 0 ? undefined : `exit status ${code}`;
}

export class GuestBackend implements ToolBackend {
  private constructor(
    private readonly inst: InstanceSummary,
    private readonly limactl: string,
    private readonly sftp: SFTPClient,
    private readonly sftpProcess: ChildProcess,
  ) {}

  static async open(inst: InstanceSummary, limactl: string): Promise<GuestBackend> {
    const [ssh, ...sshArgs] = sshCommand();
    const args = [...sshArgs, "-F", path.join(inst.dir, SSHConfig), hostnameOf(inst.name), "-s", "sftp"];
    const child = spawn(ssh ?? "ssh", args, { stdio: ["pipe", "pipe", "inherit"] });
    const started = new Promise<never>((_, reject) => child.on("error", reject));
    if (!child.stdout || !child.stdin) throw new Error("failed to start ssh for sftp");
    const client = await Promise.race([SFTPClient.connect(child.stdout, child.stdin), started]);
    return new GuestBackend(inst, limactl, client, child);
  }

  guestPath(hostPath: string): string {
    return guestPathOf(hostPath);
  }

  workingDirectory(): string {
    return process.cwd();
  }

  async listDirectory(guestPath: string): Promise<ListDirectoryEntry[]> {
    const entries = await this.sftp.readDir(guestPath);
    return entries.map(({ name, attrs }) => ({
      name,
      size: Number(attrs.size ?? 0n),
      mode: goFileMode(attrs.permissions ?? 0),
      time: rfc3339(new Date((attrs.mtime ?? 0) * 1000)),
      is_dir: isDirMode(attrs.permissions),
    }));
  }

  async readFile(guestPath: string, limitBytes: number): Promise<string> {
    return (await this.sftp.readFile(guestPath, limitBytes)).toString("utf8");
  }

  async writeFile(guestPath: string, content: string): Promise<void> {
    await this.sftp.mkdirAll(path.posix.dirname(guestPath));
    await this.sftp.writeFile(guestPath, Buffer.from(content, "utf8"));
  }

  glob(guestPattern: string): Promise<string[]> {
    return glob(guestPattern, {
      names: async (dir) => {
        if (!isDirMode((await this.sftp.stat(dir)).permissions)) throw new Error(`${dir}: not a directory`);
        return (await this.sftp.readDir(dir)).map((e) => e.name);
      },
      exists: (file) => this.sftp.lstat(file).then(
        () => true,
        () => false,
      ),
    });
  }

  runCommand(command: readonly string[], guestDir: string): Promise<RunShellCommandResult> {
    const args = ["shell", `--workdir=${guestDir}`, this.inst.name, ...command];
    return new Promise((resolve) => {
      const child = spawn(this.limactl, args, { stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      const result = (): RunShellCommandResult => ({ stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
      child.on("error", (e) => resolve({ ...result(), error: e.message }));
      child.on("close", (code, signal) => {
        const error = exitError(code, signal);
        const res = result();
        resolve(error === undefined ? { ...res, exit_code: 0 } : { ...res, error, exit_code: signal !== null ? -1 : (code ?? -1) });
      });
    });
  }

  close(): void {
    this.sftp.end();
    this.sftpProcess.kill();
  }
}
