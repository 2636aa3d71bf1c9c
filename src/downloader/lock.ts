// Exclusive lock on a cache entry directory, shared between processes.
//
// Lima flock(2)s the entry directory. Node has no flock, so the lock is a file `<dir>/.lock`
// created with O_EXCL that holds the owner's PID. Waiters poll. A lock whose PID no longer
// exists (the owner was killed) is stale and gets removed. Removing happens while holding a
// second O_EXCL file, `.lock.break`, so two waiters can't both decide that the same lock is
// stale, with the slower one then deleting the fresh lock the faster one just made.
// Limits: a PID reused by an unrelated process makes a stale lock look alive (the waiter waits
// until that process exits). Lima's flock doesn't see this lock and this lock doesn't see
// Lima's flock.
import { open, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { logger } from "../log/logger.js";
import { isErrno } from "../util/errors.js";
import { isProcessAlive } from "../store/pidfile.js";

export const LOCK_FILE = ".lock";
const BREAK_FILE = ".lock.break";
const POLL_MS = 50;
/** An empty or garbled lock file older than this was left by a process that died while creating it. */
const GARBLED_STALE_MS = 10_000;

export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = path.join(dir, LOCK_FILE);
  await acquire(lockPath, path.join(dir, BREAK_FILE));
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

async function acquire(lockPath: string, breakPath: string): Promise<void> {
  let announced = false;
  for (;;) {
    if (await tryCreate(lockPath)) return;
    if (await isStale(lockPath)) {
      await breakStaleLock(lockPath, breakPath);
      continue;
    }
    if (!announced) logger.debug(`waiting for the lock ${lockPath}`);
    announced = true;
    await sleep(POLL_MS);
  }
}

/** Creates `file` holding our PID; false when it already exists. */
async function tryCreate(file: string): Promise<boolean> {
  try {
    const handle = await open(file, "wx", 0o600);
    try {
      await handle.writeFile(`${process.pid}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if (isErrno(err, "EEXIST")) return false;
    throw err;
  }
}

/** Reads the owner PID; undefined when the file is gone, NaN when it is empty or garbled. */
async function readOwner(file: string): Promise<{ pid: number; content: string } | undefined> {
  try {
    const content = await readFile(file, "utf8");
    const pid = /^\d+\n?$/.test(content) ? Number.parseInt(content, 10) : Number.NaN;
    return { pid, content };
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
}

async function isStale(file: string): Promise<boolean> {
  const owner = await readOwner(file);
  if (owner === undefined) return false;
  if (!Number.isNaN(owner.pid)) return !isProcessAlive(owner.pid);
  try {
    return Date.now() - (await stat(file)).mtimeMs > GARBLED_STALE_MS;
  } catch {
    return false;
  }
}

async function breakStaleLock(lockPath: string, breakPath: string): Promise<void> {
  const before = await readOwner(lockPath);
  if (!(await tryCreate(breakPath))) {
    // Someone else is breaking it; a breaker that died on the way is itself stale.
    if (await isStale(breakPath)) await unlink(breakPath).catch(() => undefined);
    else await sleep(POLL_MS);
    return;
  }
  try {
    const now = await readOwner(lockPath);
    if (before !== undefined && now !== undefined && now.content === before.content && (await isStale(lockPath))) {
      logger.debug(`removing the stale lock ${lockPath} (${before.content.trim() || "empty"})`);
      await unlink(lockPath).catch(() => undefined);
    }
  } finally {
    await unlink(breakPath).catch(() => undefined);
  }
}
