// Running a script in the guest over SSH the way Lima's host agent does: the script goes on stdin,
// its interpreter runs after the instance parameters (param.env) have been exported.
import { spawn } from "node:child_process";
import { shellQuote, type SSHEndpoint, sshArgs } from "./sshutil.js";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const PARAM_ENV = "/mnt/lima-cidata/param.env";

/** The remote command: export every `K=V` line of param.env, then run the script's interpreter. */
export function remoteInterpreter(script: string): string {
  const firstLine = script.split("\n", 1)[0] ?? "";
  if (!firstLine.startsWith("#!")) throw new Error("script must start with a '#!' line");
  const interpreter = firstLine.slice(2).trim();
  const prelude = `while IFS= read -r line; do [ -n "$line" ] && export "$line"; done <<EOF\n$(sudo -n cat ${PARAM_ENV} 2>/dev/null)\nEOF\nexec ${interpreter}`;
  return `/bin/sh -c ${shellQuote(prelude)}`;
}

/** `signal` aborts the command (ssh is killed), e.g. when the host agent shuts down. */
export function runSSH(args: string[], input: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"], signal, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", (err) => {
      // An abort also ends in "close", which resolves; "error" alone for a failed spawn.
      if (err.name === "AbortError") return;
      clearTimeout(timer);
      resolve({ code: 255, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** Runs `script` in the guest; resolves with its exit status and output. */
export function executeScript(target: SSHEndpoint, opts: readonly string[], script: string, timeoutMs = 60_000, signal?: AbortSignal): Promise<ExecResult> {
  const args = [...sshArgs(opts), "-p", String(target.port), target.address, "--", remoteInterpreter(script)];
  return runSSH(args, script, timeoutMs, signal);
}
