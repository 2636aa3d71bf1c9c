// Runs the real, built `bin/limactl` the way a user would, against a private LIMA_HOME.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const LIMACTL = path.join(REPO, "bin", "limactl");
export const LIMA = path.join(REPO, "bin", "lima");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, cwd: options.cwd ?? REPO, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A command that exits without reading its input (most do) closes the pipe first: that EPIPE
    // is not the command's failure; its exit status and output say how it went.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Runs QEMU through the external `lima-driver-qemu` program instead of the internal driver: VM
 * test files that are not about QEMU itself use it, so CI covers both without booting twice.
 */
export const EXTERNAL_QEMU_ENV = { LIMA_TS_EXTERNAL_DRIVERS: "qemu" } as const;

/** A private $LIMA_HOME for one test file, with optional environment for every command. */
export class LimaHome {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), "lima-home-"));

  constructor(private readonly extraEnv: NodeJS.ProcessEnv = {}) {}

  get env(): NodeJS.ProcessEnv {
    return { LIMA_HOME: this.dir, LIMA_TEMPLATES_PATH: "", ...this.extraEnv };
  }

  limactl(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return run(LIMACTL, args, { ...options, env: { ...this.env, ...options.env } });
  }

  lima(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return run(LIMA, args, { ...options, env: { ...this.env, ...options.env } });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
