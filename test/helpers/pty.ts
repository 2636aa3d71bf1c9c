// Runs a command on a real pseudo-terminal (util-linux `script`) and answers what it asks:
// each answer is typed once its prompt has appeared on the terminal.
import { spawn } from "node:child_process";
import { REPO } from "./limactl.js";

export interface PtyAnswer {
  /** Text that must have appeared (since the previous answer) before `keys` are typed. */
  after: string | RegExp;
  keys: string;
}

export interface PtyResult {
  code: number;
  /** Everything the terminal showed, stdout and stderr together, without escape sequences. */
  output: string;
}

const PTY_TIMEOUT_MS = 60_000;

function quote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/** Drops colour and cursor-movement sequences, so tests match the text a user reads. */
export function stripEscapes(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

function seen(text: string, after: string | RegExp): boolean {
  return typeof after === "string" ? text.includes(after) : after.test(text);
}

export function runInPty(argv: string[], answers: PtyAnswer[], env: NodeJS.ProcessEnv = {}): Promise<PtyResult> {
  return new Promise((resolve, reject) => {
    const command = argv.map(quote).join(" ");
    const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: REPO, env: { ...process.env, TERM: "xterm", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let unseen = "";
    const pending = [...answers];
    const timer = setTimeout(() => child.kill("SIGKILL"), PTY_TIMEOUT_MS);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      unseen += chunk.toString();
      const next = pending[0];
      if (next && seen(stripEscapes(unseen), next.after)) {
        pending.shift();
        unseen = "";
        child.stdin.write(next.keys);
      }
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output: stripEscapes(output) });
    });
  });
}
