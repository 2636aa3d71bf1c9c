// The guest's local ports: from netlink sock_diag (compiled agent, see sockdiag.ts) or else the
// /proc/net tables re-read on every poll through file descriptors kept open (a pread at offset 0
// makes the kernel print the table afresh) and parsed only when the raw text changed; plus the
// ports of Kubernetes services.
import { closeSync, openSync, readSync } from "node:fs";
import path from "node:path";
import type { IPPort } from "./api/index.js";
import { PROC_NET_TABLES, parseProcNet, type ProcNetTable } from "./procnet.js";
import type { SockDiag } from "./sockdiag.js";

/** Identity of a port for diffs and de-duplication (Lima keys by the message's text form). */
export function portKey(p: IPPort): string {
  return `${p.protocol}/${p.ip}/${p.port}`;
}

/** Keeps the first of each protocol/ip/port (SO_REUSEPORT groups list one socket each). */
export function dedupePorts(ports: IPPort[]): IPPort[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = portKey(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function diffPorts(previous: IPPort[], current: IPPort[]): { added: IPPort[]; removed: IPPort[] } {
  const before = new Set(previous.map(portKey));
  const now = new Set(current.map(portKey));
  return {
    added: current.filter((p) => !before.has(portKey(p))),
    removed: previous.filter((p) => !now.has(portKey(p))),
  };
}

export function samePorts(a: IPPort[], b: IPPort[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(portKey));
  return b.every((p) => keys.has(portKey(p)));
}

/** Adds extra (Kubernetes) ports whose number no local socket uses, as Lima does. */
export function mergeExtraPorts(local: IPPort[], extra: IPPort[]): IPPort[] {
  const numbers = new Set(local.map((p) => p.port));
  return [...local, ...extra.filter((p) => !numbers.has(p.port))];
}

const INITIAL_BUFFER = 64 * 1024;

/** One /proc/net table behind a kept-open file descriptor. */
class ProcNetFile {
  private fd: number | undefined;
  private buffer = Buffer.allocUnsafe(INITIAL_BUFFER);
  private last: Buffer | undefined;
  private parsed: IPPort[] = [];

  constructor(
    private readonly file: string,
    private readonly table: ProcNetTable,
  ) {}

  /** The table's ports; `changed` is false when the kernel printed exactly the same text. */
  read(): { ports: IPPort[]; changed: boolean } {
    const raw = this.readRaw();
    if (raw === undefined) {
      const changed = this.last !== undefined;
      this.last = undefined;
      this.parsed = [];
      return { ports: this.parsed, changed };
    }
    if (this.last?.equals(raw)) return { ports: this.parsed, changed: false };
    this.last = Buffer.from(raw);
    this.parsed = parseProcNet(raw.toString("latin1"), this.table.protocol);
    return { ports: this.parsed, changed: true };
  }

  /** The whole text, or undefined when the table does not exist (IPv6 disabled). */
  private readRaw(): Buffer | undefined {
    try {
      this.fd ??= openSync(this.file, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    let length = 0;
    for (;;) {
      if (length === this.buffer.length) this.buffer = Buffer.concat([this.buffer, Buffer.allocUnsafe(this.buffer.length)]);
      const n = readSync(this.fd, this.buffer, length, this.buffer.length - length, length);
      if (n === 0) return this.buffer.subarray(0, length);
      length += n;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Something that contributes ports besides the sockets (the Kubernetes service watcher). */
export interface ExtraPortsSource {
  /** Bumped whenever ports() may return something new. */
  readonly generation: number;
  ports(): IPPort[];
}

export class LocalPorts {
  private readonly files: ProcNetFile[];
  private current: IPPort[] = [];
  private version = 0;
  private extraGeneration = -1;

  /** `sockDiag` (netlink, under bun) replaces the /proc/net tables when given. */
  constructor(
    procNetDir = "/proc/net",
    private readonly extra?: ExtraPortsSource,
    private readonly sockDiag?: SockDiag,
  ) {
    this.files = sockDiag ? [] : PROC_NET_TABLES.map((t) => new ProcNetFile(path.join(procNetDir, t.name), t));
  }

  /**
   * Current ports and a version that grows whenever the set of ports changes (so several readers
   * can each tell whether something changed since they last looked). Throws on read errors.
   */
  read(): { ports: IPPort[]; version: number } {
    const tables = this.sockDiag ? [{ ports: this.sockDiag.list(), changed: true }] : this.files.map((f) => f.read());
    const extraChanged = this.extra !== undefined && this.extra.generation !== this.extraGeneration;
    if (!tables.some((t) => t.changed) && !extraChanged) return { ports: this.current, version: this.version };
    this.extraGeneration = this.extra?.generation ?? -1;
    const local = dedupePorts(tables.flatMap((t) => t.ports));
    const ports = this.extra ? mergeExtraPorts(local, this.extra.ports()) : local;
    if (!samePorts(ports, this.current)) {
      this.current = ports;
      this.version++;
    }
    return { ports: this.current, version: this.version };
  }

  close(): void {
    for (const f of this.files) f.close();
    this.sockDiag?.close();
  }
}
