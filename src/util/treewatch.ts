// Watches directory trees with one inotify watch per directory, as Lima's watcher does. Node's
// own `fs.watch(dir, {recursive: true})` on Linux adds a watch per file as well (a tree of 3
// directories and 50 files took 53 watches), which a writable home directory with a few
// node_modules runs out of (`fs.inotify.max_user_watches`).
import { type FSWatcher, watch } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

export interface TreeWatcherOptions {
  /** A file or directory under a watched tree was created, written, had its attributes changed, moved or removed. */
  onChange: (file: string) => void;
  /** A directory could not be watched (no permission, or no inotify watches left). */
  onError: (dir: string, err: NodeJS.ErrnoException) => void;
}

export class TreeWatcher {
  /** Each watched directory with its inode: a directory removed and made again under the same name is a new one to watch. */
  private readonly watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  private closed = false;

  constructor(private readonly options: TreeWatcherOptions) {}

  /** Watches `root` and every directory below it (symlinks are not followed); resolves once all are watched. */
  async add(root: string): Promise<void> {
    const stat = await lstat(root).catch(() => undefined);
    if (this.closed || !stat?.isDirectory()) return;
    const known = this.watchers.get(root);
    if (known?.ino === stat.ino) return;
    if (known) this.remove(root);
    // Watched before listed: what is created meanwhile is seen either way.
    if (!this.watchDir(root, stat.ino)) return;
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory()) await this.add(path.join(root, entry.name));
    }
  }

  /** The number of directories watched. */
  get size(): number {
    return this.watchers.size;
  }

  close(): void {
    this.closed = true;
    for (const { watcher } of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private watchDir(dir: string, ino: number): boolean {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (type, name) => this.onEvent(dir, type, name));
    } catch (err) {
      this.options.onError(dir, err as NodeJS.ErrnoException);
      return false;
    }
    watcher.on("error", () => this.remove(dir));
    this.watchers.set(dir, { watcher, ino });
    return true;
  }

  private onEvent(dir: string, type: string, name: string | null): void {
    if (this.closed || name === null) return;
    const file = path.join(dir, name);
    if (type === "rename") void this.renamed(file);
    this.options.onChange(file);
  }

  /** Created or moved in: a directory gets watched; removed or moved out: its watches go. */
  private async renamed(file: string): Promise<void> {
    const stat = await lstat(file).catch(() => undefined);
    if (!stat) this.remove(file);
    else if (stat.isDirectory()) await this.add(file);
  }

  /** Stops watching `dir` and everything below it. */
  private remove(dir: string): void {
    // Removed files are no keys: no scan per file of an `rm -rf`.
    if (!this.watchers.has(dir)) return;
    const prefix = `${dir}/`;
    for (const [watched, { watcher }] of this.watchers) {
      if (watched !== dir && !watched.startsWith(prefix)) continue;
      watcher.close();
      this.watchers.delete(watched);
    }
  }
}
