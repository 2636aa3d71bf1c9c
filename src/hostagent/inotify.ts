// `mountInotify` (Lima's host agent): host changes under writable mounts are sent to the guest
// agent, which sets the guest file's times to the host's mtime, so inotify watchers in the guest
// (which see nothing of changes made on the host side of a mount) fire.
import { realpath, stat } from "node:fs/promises";
import type * as grpc from "@grpc/grpc-js";
import type { GuestServiceClient, Inotify, Timestamp } from "../guestagent/api/index.js";
import type { Mount } from "../config/types.js";
import { logger } from "../log/logger.js";
import { errorMessage } from "../util/errors.js";
import { TreeWatcher } from "../util/treewatch.js";
import { Coalescer, guestPathOf, rootsToWatch, SAME_CHANGE_MS, SentMtimes, type WatchedMount } from "./inotifyevents.js";

export interface MountInotifyOptions {
  mounts: readonly Mount[];
  /** The guest agent link's current client (a new one after the agent reconnected). */
  client: () => GuestServiceClient | undefined;
}

/** The writable mounts, their locations resolved (a missing one is skipped with a warning). */
async function watchedMounts(mounts: readonly Mount[]): Promise<WatchedMount[]> {
  const watched: WatchedMount[] = [];
  for (const m of mounts) {
    if (m.writable !== true) continue;
    try {
      watched.push({ hostRoot: await realpath(m.location), mountPoint: m.mountPoint ?? m.location });
      logger.info(`enable inotify for writable mount: ${m.location}`);
    } catch (err) {
      logger.warn(`mountInotify: cannot watch mount location ${JSON.stringify(m.location)}: ${errorMessage(err)}`);
    }
  }
  return watched;
}

/** The file's mtime as a protobuf Timestamp, to the nanosecond. */
function mtimeTimestamp(mtimeNs: bigint): Timestamp {
  return { seconds: Number(mtimeNs / 1_000_000_000n), nanos: Number(mtimeNs % 1_000_000_000n) };
}

/** One `PostInotify` client stream, opened again on the link's new client after the guest agent reconnected. */
class InotifyStream {
  private client?: GuestServiceClient;
  private stream?: grpc.ClientWritableStream<Inotify>;

  constructor(private readonly current: () => GuestServiceClient | undefined) {}

  /** False when there is no guest agent to send to (the change is dropped, as Lima does). */
  send(event: Inotify): boolean {
    const client = this.current();
    if (!client) return false;
    const stream = client === this.client && this.stream ? this.stream : this.open(client);
    stream.write(event);
    return true;
  }

  close(): void {
    this.stream?.end();
    this.stream = undefined;
    this.client = undefined;
  }

  private open(client: GuestServiceClient): grpc.ClientWritableStream<Inotify> {
    this.stream?.end();
    const stream = client.PostInotify({}, (err) => {
      if (err) logger.debug(`mountInotify: the stream to the guest agent ended: ${err.message}`);
      // The next change opens a new one (on the link's client of then).
      if (this.stream === stream) this.stream = undefined;
    });
    stream.on("error", () => undefined); // reported to the callback above
    this.client = client;
    this.stream = stream;
    return stream;
  }
}

export class MountInotify {
  private readonly sent = new SentMtimes();
  private readonly stream: InotifyStream;
  private readonly coalescer = new Coalescer(SAME_CHANGE_MS, (file) => void this.flush(file));
  private readonly watcher: TreeWatcher;
  private warnedNoWatch = false;

  private constructor(
    private readonly mounts: readonly WatchedMount[],
    client: () => GuestServiceClient | undefined,
  ) {
    this.stream = new InotifyStream(client);
    this.watcher = new TreeWatcher({ onChange: (file) => this.coalescer.push(file), onError: (dir, err) => this.cannotWatch(dir, err) });
  }

  /** Watches the writable mounts; resolves once their trees are watched. */
  static async start(options: MountInotifyOptions): Promise<MountInotify> {
    const mounts = await watchedMounts(options.mounts);
    const inotify = new MountInotify(mounts, options.client);
    for (const root of rootsToWatch(mounts)) await inotify.watcher.add(root);
    return inotify;
  }

  /** Directories watched, for the log and tests. */
  get watchedDirs(): number {
    return this.watcher.size;
  }

  close(): void {
    this.watcher.close();
    this.coalescer.clear();
    this.stream.close();
  }

  private async flush(file: string): Promise<void> {
    const st = await stat(file, { bigint: true }).catch(() => undefined);
    // Removed meanwhile: nothing in the guest to touch.
    if (!st) return;
    const mountPath = guestPathOf(file, this.mounts);
    if (mountPath === undefined || !this.sent.take(file, Number(st.mtimeNs / 1000n) / 1000)) return;
    if (!this.stream.send({ mount_path: mountPath, time: mtimeTimestamp(st.mtimeNs) })) {
      logger.debug(`mountInotify: no guest agent to send ${JSON.stringify(mountPath)} to`);
    }
  }

  private cannotWatch(dir: string, err: NodeJS.ErrnoException): void {
    if (this.warnedNoWatch) return;
    this.warnedNoWatch = true;
    const hint = err.code === "ENOSPC" ? " (no inotify watches left: raise the sysctl fs.inotify.max_user_watches)" : "";
    logger.warn(`mountInotify: cannot watch ${JSON.stringify(dir)}${hint}: ${err.message}; changes below it do not reach the guest`);
  }
}
