// The start lock `$INST/.start.lock`: makes concurrent `limactl start` of one instance fail fast.
//
// The lock file holds "<pid> <nonce>". It is created with link(2) from a private temp file, so it
// never exists half-written and creation fails when it already exists. A lock whose pid is dead
// (limactl was killed) is stale. Removing a stale lock must not race: two processes that both saw
// the same stale lock could otherwise both remove "it", the slower one deleting the fresh lock
// the faster one just made, and both would start the VM. So only the process that holds the
// *claim* `<lock>.takeover-<digest of the stale content>` may remove that exact content; the
// claim is itself such a lock (a claimant killed on the way is taken over the same way). A slow
// process that claims an already-replaced content finds other content and leaves it alone.
import { createHash, randomUUID } from "node:crypto";
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isProcessAlive } from "../store/pidfile.js";
import { isErrno, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export const START_LOCK = ".start.lock";

/** Thrown when a live process holds the lock (or is taking over its stale predecessor). */
export class LockHeldError extends LimaError {
  constructor(
    readonly file: string,
    readonly holder: number,
  ) {
    super(`${q(file)} is held by the live process ${holder}`);
  }
}

/** The pid the lock file names, 0 when there is none or it cannot be read. */
export function lockHolder(file: string): number {
  const content = readContent(file);
  return content === undefined ? 0 : holderPid(content);
}

function holderPid(content: string): number {
  const pid = Number.parseInt(content, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

function readContent(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
}

/** Creates `file` as a hard link of `source`; false when `file` already exists. */
function tryLink(source: string, file: string): boolean {
  try {
    linkSync(source, file);
    return true;
  } catch (err) {
    if (isErrno(err, "EEXIST")) return false;
    throw err;
  }
}

function claimFile(file: string, staleContent: string): string {
  return `${file}.takeover-${createHash("sha256").update(staleContent).digest("hex").slice(0, 16)}`;
}

/** Links `token` (a file holding our content) to `file`, taking over a stale holder; throws LockHeldError. */
function acquireFile(file: string, token: string): void {
  for (;;) {
    if (tryLink(token, file)) return;
    const content = readContent(file);
    if (content === undefined) continue;
    const holder = holderPid(content);
    if (holder > 0 && holder !== process.pid && isProcessAlive(holder)) throw new LockHeldError(file, holder);
    const claim = claimFile(file, content);
    acquireFile(claim, token);
    try {
      // Only the claim holder removes this content, so it cannot change between the read and the rm.
      if (readContent(file) === content) rmSync(file, { force: true });
    } finally {
      rmSync(claim, { force: true });
    }
  }
}

/**
 * Takes `$INST/.start.lock` for this process; returns the release function. Throws LockHeldError
 * (naming the live pid) when another process holds it or is taking over a stale one.
 */
export function acquireStartLock(instDir: string): () => void {
  const file = path.join(instDir, START_LOCK);
  const token = path.join(instDir, `${START_LOCK}.${process.pid}.tmp`);
  const content = `${process.pid} ${randomUUID()}\n`;
  writeFileSync(token, content, { mode: 0o600 });
  try {
    acquireFile(file, token);
  } finally {
    rmSync(token, { force: true });
  }
  // Never remove a lock that is no longer ours.
  return () => {
    if (readContent(file) === content) rmSync(file, { force: true });
  };
}
