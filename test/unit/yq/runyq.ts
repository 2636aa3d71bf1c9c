// Runs the yq CLI in-process with in-memory stdin/stdout/stderr.
import { PassThrough } from "node:stream";
import { runYqCLI } from "../../../src/yq/index.js";

export interface YqRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runYq(args: string[], input = "", env: Record<string, string> = {}): Promise<YqRun> {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  const code = await runYqCLI(args, { stdin, stdout, stderr, env });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
