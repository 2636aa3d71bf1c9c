// The pure parts of `mountInotify`: which guest path a host file is, which changes to send, and
// the coalescing of a burst of events for one file into one message.
import path from "node:path";

/** A writable mount as the watcher sees it. */
export interface WatchedMount {
  /** The mount's location with symlinks resolved: the paths the watcher reports start with it. */
  hostRoot: string;
  /** Where the guest sees `hostRoot`. */
  mountPoint: string;
}

/** How close an mtime may be to the one last sent for a file and still be that same change (Lima: 10 ms). */
export const SAME_CHANGE_MS = 10;
/** Files whose last sent mtime is remembered (Lima: 10,000). */
export const SENT_CACHE_SIZE = 10_000;

function isUnder(file: string, root: string): boolean {
  if (file === root) return true;
  return file.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** The mount whose root is the longest prefix of `file` (nested mounts: the inner one); undefined outside all. */
function mountOf(file: string, mounts: readonly WatchedMount[]): WatchedMount | undefined {
  let best: WatchedMount | undefined;
  for (const m of mounts) {
    if (isUnder(file, m.hostRoot) && (!best || m.hostRoot.length > best.hostRoot.length)) best = m;
  }
  return best;
}

/** The guest path of the host path `file` (location → mountPoint); undefined when no mount holds it. */
export function guestPathOf(file: string, mounts: readonly WatchedMount[]): string | undefined {
  const mount = mountOf(file, mounts);
  if (!mount) return undefined;
  const rel = path.posix.relative(mount.hostRoot, file);
  return rel === "" ? mount.mountPoint : path.posix.join(mount.mountPoint, rel);
}

/** The roots to watch: one watch per tree, so a mount nested in another one is not reported twice. */
export function rootsToWatch(mounts: readonly WatchedMount[]): string[] {
  const roots = [...new Set(mounts.map((m) => m.hostRoot))];
  return roots.filter((root) => !roots.some((other) => other !== root && isUnder(root, other)));
}

/**
 * The mtime last sent per file. A change whose mtime is within SAME_CHANGE_MS of it is not news:
 * above all the guest agent's own `chtimes` coming back through a shared mount (it sets the
 * host file's times to what was sent, truncated to the millisecond), which would otherwise be
 * sent again, and again.
 */
export class SentMtimes {
  private readonly sent = new Map<string, number>();

  constructor(private readonly limit = SENT_CACHE_SIZE) {}

  /** Whether a change of `file` to `mtimeMs` is to be sent; if so, remembers it. */
  take(file: string, mtimeMs: number): boolean {
    const last = this.sent.get(file);
    if (last !== undefined && Math.abs(mtimeMs - last) < SAME_CHANGE_MS) return false;
    // Re-inserted so that the oldest entry is the one dropped when full.
    this.sent.delete(file);
    this.sent.set(file, mtimeMs);
    if (this.sent.size > this.limit) this.sent.delete(this.sent.keys().next().value as string);
    return true;
  }

  get size(): number {
    return this.sent.size;
  }
}

/**
 * Calls `flush(key)` `waitMs` after the first of a burst of `push(key)`: an editor's
 * create+write+attrib of one file is one message, and a file written without pause still gets
 * one message per window instead of none until it is quiet.
 */
export class Coalescer {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly waitMs: number,
    private readonly flush: (key: string) => void,
  ) {}

  push(key: string): void {
    if (this.pending.has(key)) return;
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.flush(key);
    }, this.waitMs);
    this.pending.set(key, timer);
  }

  clear(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
