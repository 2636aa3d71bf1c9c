// Process and file checks shared by the end-to-end tests.
import { readFileSync } from "node:fs";

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A file's text, or `fallback` when it cannot be read (not there yet, or already removed). */
export function readFileOr(file: string, fallback = ""): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/** The pid in a pid file, 0 when there is none. */
export function pidFromFile(file: string): number {
  return Number.parseInt(readFileOr(file), 10) || 0;
}

/** Polls `cond` every `intervalMs` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
