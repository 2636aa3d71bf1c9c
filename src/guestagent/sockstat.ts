// The cheap signal that the port tables may have changed: /proc/net/sockstat{,6} count the TCP
// and UDP sockets "in use" (hashed). listen() and bind() hash a socket and close() unhashes it, so
// a new or closed listener changes a count. Reading them costs almost nothing, unlike listing every
// socket, so the guest agent can look several times a second and list sockets only when a count moved
// (Lima uses an eBPF trigger on bind() for the same purpose).
import { closeSync, openSync, readSync } from "node:fs";

const SOCKSTAT_FILES = ["/proc/net/sockstat", "/proc/net/sockstat6"];
const INUSE = /^(TCP6?|UDP6?): inuse (\d+)/gm;

/** "TCP:5 UDP:3 ..." from sockstat text: the in-use counts only (memory and TIME_WAIT counts move with traffic). */
export function inUseCounts(text: string): string {
  return [...text.matchAll(INUSE)].map((m) => `${m[1]}:${m[2]}`).join(" ");
}

export class SocketCounts {
  private readonly fds: number[];
  private readonly buffer = Buffer.allocUnsafe(4096);
  private last = "";

  constructor(files: readonly string[] = SOCKSTAT_FILES) {
    this.fds = files.flatMap((file) => {
      try {
        return [openSync(file, "r")];
      } catch {
        return [];
      }
    });
  }

  /** Whether the counts differ from those of the previous call (true on the first call). */
  changed(): boolean {
    let text = "";
    for (const fd of this.fds) {
      // pread at offset 0: the kernel prints the file afresh for every read from the start.
      const n = readSync(fd, this.buffer, 0, this.buffer.length, 0);
      text += this.buffer.toString("latin1", 0, n);
    }
    const counts = inUseCounts(text);
    if (counts === this.last) return false;
    this.last = counts;
    return true;
  }

  close(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}
