// The host agent's event stream (`ha.stdout.log`): one JSON object per line, Lima's schema.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { rfc3339 } from "../log/logger.js";

export interface PortForwardEvent {
  type: "forwarding" | "not-forwarding" | "stopping" | "failed";
  protocol?: "tcp" | "udp";
  guestAddr?: string;
  hostAddr?: string;
  error?: string;
}

export interface CloudInitProgress {
  logLine?: string;
  completed?: boolean;
  active?: boolean;
}

export interface VsockEvent {
  type: "started" | "skipped" | "failed";
  hostAddr?: string;
  vsockPort?: number;
  reason?: string;
}

export interface Status {
  running?: boolean;
  degraded?: boolean;
  exiting?: boolean;
  errors?: string[];
  sshLocalPort?: number;
  cloudInitProgress?: CloudInitProgress;
  portForward?: PortForwardEvent;
  vsock?: VsockEvent;
}

export interface Event {
  time: string;
  status: Status;
}

/** Lima's field order (logLine, completed, active), false/empty fields dropped. */
export function compactCloudInitProgress(progress: CloudInitProgress): CloudInitProgress {
  const out: CloudInitProgress = {};
  if (progress.logLine) out.logLine = progress.logLine;
  if (progress.completed) out.completed = true;
  if (progress.active) out.active = true;
  return out;
}

/** Drops false/zero/empty fields, as Go's `omitempty` does, keeping Lima's key order. */
export function compactStatus(status: Status): Status {
  const out: Status = {};
  if (status.running) out.running = true;
  if (status.degraded) out.degraded = true;
  if (status.exiting) out.exiting = true;
  if (status.errors && status.errors.length > 0) out.errors = status.errors;
  if (status.sshLocalPort) out.sshLocalPort = status.sshLocalPort;
  if (status.cloudInitProgress) out.cloudInitProgress = compactCloudInitProgress(status.cloudInitProgress);
  if (status.portForward) out.portForward = status.portForward;
  if (status.vsock) out.vsock = status.vsock;
  return out;
}

export function eventLine(status: Status, now = new Date()): string {
  return `${JSON.stringify({ time: rfc3339(now, true), status: compactStatus(status) })}\n`;
}

/** Writes events to a file descriptor (the HA's stdout), synced so a crash loses none. */
export class EventEmitter {
  private current: Status = {};

  constructor(private readonly fd: number) {}

  emit(status: Status): void {
    this.current = status;
    writeSync(this.fd, eventLine(status));
    try {
      fsyncSync(this.fd);
    } catch {
      // Not a regular file (a terminal in --foreground mode).
    }
  }

  /** Port-forward and similar events carry the current status plus the sub-object. */
  emitWith(extra: Partial<Status>): void {
    this.emit({ ...this.current, ...extra });
  }
}

/**
 * Follows a growing file line by line (the file may not exist yet, or be replaced by a new one).
 * The file stays open: a replacement is told by its inode, which cannot be the old file's reused
 * number while we hold that one. `close()` when done.
 */
export class LineFollower {
  private fd: number | undefined;
  private offset = 0;
  private partial = "";

  /** `fromEnd`: ignore what the file already holds (a stop must not replay the start's logs). */
  constructor(
    private readonly file: string,
    fromEnd = false,
  ) {
    if (fromEnd && this.open()) this.offset = fstatSync(this.fd ?? -1).size;
  }

  private open(): boolean {
    try {
      this.fd = openSync(this.file, "r");
      return true;
    } catch {
      return false;
    }
  }

  /** A new file in its place (`limactl start` recreates ha.stdout.log): read that one from the top. */
  private followReplacement(): void {
    let ino: number;
    try {
      ino = statSync(this.file).ino;
    } catch {
      return;
    }
    if (this.fd !== undefined && fstatSync(this.fd).ino === ino) return;
    this.close();
    if (!this.open()) return;
    this.offset = 0;
    this.partial = "";
  }

  /** New complete lines since the last call. */
  poll(): string[] {
    this.followReplacement();
    if (this.fd === undefined) return [];
    const size = fstatSync(this.fd).size;
    if (size < this.offset) {
      this.offset = 0;
      this.partial = "";
    }
    if (size === this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const n = readSync(this.fd, buf, 0, buf.length, this.offset);
    this.offset += n;
    const text = this.partial + buf.subarray(0, n).toString("utf8");
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    return lines.filter((l) => l.trim() !== "");
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export function parseEvent(line: string): Event {
  const ev = JSON.parse(line) as Event;
  if (typeof ev !== "object" || ev === null || typeof ev.status !== "object" || ev.status === null) throw new Error(`invalid event line: ${line}`);
  return ev;
}
