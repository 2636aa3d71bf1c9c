// The cheap signal that the port tables may have changed: /proc/net/sockstat{,6} count the TCP
// and UDP sockets "in use" (hashed). listen() and bind() hash a socket and close() unhashes it, so
// a new or closed listener moves a count. Listing every socket costs far more, so the guest agent
// watches the counts and lists sockets only when they moved (Lima uses an eBPF trigger on bind()
// for the same purpose, and otherwise lists every 3 s).
//
// In the compiled agent a native thread (C compiled at start by bun's TinyCC) reads the counts
// every few hundred ms and writes a byte to a pipe when they change: JavaScript wakes only on a
// change, so an idle guest pays nearly nothing (a JS timer at the same pace cost ~3 % of a TCG
// core). Under node (tests), or if that fails, a JS timer reads them.
import { closeSync, openSync, readSync, writeFileSync } from "node:fs";
import path from "node:path";
import { logger } from "../log/logger.js";
import { bunFFI, openLibc } from "./ffi.js";

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

/**
 * The native watcher. No #include and no libc to link: guests have neither C headers nor a
 * libc.so for TinyCC, so the libc functions come in as pointers from bun:ffi's dlopen.
 */
export const NATIVE_WATCHER_C = String.raw`typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned long pthread_t;
struct timespec { long tv_sec; long tv_nsec; };

static int (*c_open)(const char *, int, ...);
static ssize_t (*c_pread)(int, void *, size_t, long);
static ssize_t (*c_write)(int, const void *, size_t);
static int (*c_pipe)(int *);
static int (*c_nanosleep)(const struct timespec *, struct timespec *);
static int (*c_pthread_create)(pthread_t *, const void *, void *(*)(void *), void *);
static int (*c_pthread_detach)(pthread_t);

static int write_fd = -1;
static long interval_ms = 300;

/* The digits after every "inuse " in sockstat and sockstat6, comma-separated: "5,2,0,0,0,2,1,0," */
static int signature(int fd, char *sig, int len, int cap) {
  char buf[4096];
  int n = (int)c_pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return len;
  buf[n] = 0;
  for (int i = 0; i + 6 <= n; i++) {
    if (buf[i] != 'i' || buf[i + 1] != 'n' || buf[i + 2] != 'u' || buf[i + 3] != 's' || buf[i + 4] != 'e' || buf[i + 5] != ' ') continue;
    i += 6;
    while (i < n && buf[i] >= '0' && buf[i] <= '9' && len < cap - 2) sig[len++] = buf[i++];
    sig[len++] = ',';
  }
  return len;
}

static int differ(const char *a, const char *b) {
  for (; *a || *b; a++, b++) if (*a != *b) return 1;
  return 0;
}

static void *loop(void *arg) {
  (void)arg;
  int fd4 = c_open("/proc/net/sockstat", 0);
  int fd6 = c_open("/proc/net/sockstat6", 0);
  char prev[256], cur[256];
  prev[0] = 0;
  struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
  for (;;) {
    int len = signature(fd6, cur, signature(fd4, cur, 0, sizeof cur), sizeof cur);
    cur[len] = 0;
    if (differ(prev, cur)) {
      for (int i = 0; i <= len; i++) prev[i] = cur[i];
      char c = 1;
      if (c_write(write_fd, &c, 1) < 0) return 0;
    }
    c_nanosleep(&ts, 0);
  }
}

/* fns: open, pread, write, pipe, nanosleep, pthread_create, pthread_detach. Returns the read end of a pipe that gets a byte per change, or -1. */
int start_watch(int ms, void **fns) {
  c_open = fns[0]; c_pread = fns[1]; c_write = fns[2]; c_pipe = fns[3];
  c_nanosleep = fns[4]; c_pthread_create = fns[5]; c_pthread_detach = fns[6];
  int p[2];
  if (c_pipe(p) != 0) return -1;
  write_fd = p[1];
  interval_ms = ms;
  pthread_t t;
  if (c_pthread_create(&t, 0, loop, 0) != 0) return -1;
  c_pthread_detach(t);
  return p[0];
}
`;

interface BunGlobal {
  Bun: { file(fd: number): { stream(): ReadableStream<Uint8Array> } };
}

const LIBC_FUNCTIONS = {
  open: { args: ["ptr", "i32"], returns: "i32" },
  pread: { args: ["i32", "ptr", "u64", "i64"], returns: "i64" },
  write: { args: ["i32", "ptr", "u64"], returns: "i64" },
  pipe: { args: ["ptr"], returns: "i32" },
  nanosleep: { args: ["ptr", "ptr"], returns: "i32" },
  pthread_create: { args: ["ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  pthread_detach: { args: ["u64"], returns: "i32" },
};

/** Starts the native thread; the read end of its pipe, or undefined when not under bun or it fails. */
async function startNativeWatcher(intervalMs: number, runtimeDir: string): Promise<number | undefined> {
  const ffi = await bunFFI();
  if (!ffi) return undefined;
  const libc = openLibc(ffi, LIBC_FUNCTIONS);
  // In the order start_watch() expects them.
  const names = Object.keys(LIBC_FUNCTIONS) as (keyof typeof LIBC_FUNCTIONS)[];
  const fns = new BigUint64Array(names.map((name) => BigInt(libc[name].ptr)));
  // TinyCC compiles from a file; the runtime directory is root's and private to the agent.
  const source = path.join(runtimeDir, "sockstat-watch.c");
  writeFileSync(source, NATIVE_WATCHER_C, { mode: 0o600 });
  const { symbols } = ffi.cc({ source, flags: ["-nostdlib"], symbols: { start_watch: { args: ["i32", "ptr"], returns: "i32" } } });
  const fd = symbols.start_watch?.(intervalMs, ffi.ptr(fns)) ?? -1;
  return fd >= 0 ? fd : undefined;
}

/** Calls `onChange` whenever the socket counts move (checked every `intervalMs`), until closed. */
export async function watchSocketCounts(intervalMs: number, runtimeDir: string, onChange: () => void): Promise<{ close(): void }> {
  let fd: number | undefined;
  try {
    fd = await startNativeWatcher(intervalMs, runtimeDir);
  } catch (err) {
    logger.debug(`native socket-count watcher unavailable: ${(err as Error).message}`);
  }
  if (fd !== undefined) {
    logger.debug("watching socket counts with a native thread");
    // Bun reads the pipe with its own poller: no thread blocks (a blocking fs.read would hold one
    // of the few libuv workers that the virtio-port bridge needs).
    const reader = (globalThis as unknown as BunGlobal).Bun.file(fd).stream().getReader();
    let closed = false;
    void (async () => {
      while (!closed) {
        const { done } = await reader.read();
        if (done || closed) return;
        onChange();
      }
    })().catch((err: Error) => logger.warn(`socket-count watcher: ${err.message}`));
    return {
      close: () => {
        closed = true;
        void reader.cancel().catch(() => undefined);
      },
    };
  }
  const counts = new SocketCounts();
  counts.changed();
  const timer = setInterval(() => counts.changed() && onChange(), intervalMs);
  return {
    close: () => {
      clearInterval(timer);
      counts.close();
    },
  };
}
