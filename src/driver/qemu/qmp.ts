// A minimal QMP client: connect, read the greeting, negotiate capabilities, run one command,
// disconnect (spec: lima-runtime.md §6.5.8a). QMP is newline-delimited JSON.
import net from "node:net";
import { LimaError } from "../../util/errors.js";

export const QMP_CONNECT_TIMEOUT_MS = 5_000;

/** An `{"error": {"class", "desc"}}` reply. */
export class QMPError extends LimaError {
  constructor(readonly errorClass: string, readonly description: string) {
    super(description);
    this.name = "QMPError";
  }
}

export interface QMPOptions {
  /** Connect + greeting deadline (default 5 s). */
  connectTimeoutMs?: number;
  /** Deadline for the command reply (default: none besides the connection closing). */
  replyTimeoutMs?: number;
}

interface QMPMessage {
  QMP?: unknown;
  return?: unknown;
  error?: { class?: string; desc?: string };
  event?: string;
  id?: unknown;
}

/** Reads one JSON message per line, skipping asynchronous events. */
class QMPConnection {
  private buffer = "";
  private readonly queue: QMPMessage[] = [];
  private waiter?: { resolve: (m: QMPMessage) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new LimaError("QMP connection closed")));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line === "") continue;
      let message: QMPMessage;
      try {
        message = JSON.parse(line) as QMPMessage;
      } catch {
        this.fail(new LimaError(`invalid QMP message: ${line}`));
        return;
      }
      if (message.event !== undefined) continue;
      this.deliver(message);
    }
  }

  private deliver(message: QMPMessage): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter.resolve(message);
    else this.queue.push(message);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }

  next(timeoutMs?: number): Promise<QMPMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.waiter = undefined;
        reject(new LimaError(`timed out after ${timeoutMs}ms waiting for a QMP reply`));
      }, timeoutMs);
      const clear = (): void => clearTimeout(timer);
      this.waiter = { resolve: (m) => (clear(), resolve(m)), reject: (e) => (clear(), reject(e)) };
    });
  }

  send(command: string, args?: Record<string, unknown>): void {
    this.socket.write(`${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`);
  }

  close(): void {
    this.socket.destroy();
  }
}

function connect(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new LimaError(`dial unix ${socketPath}: i/o timeout`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(new LimaError(`dial unix ${socketPath}: ${err.message}`, { cause: err }));
    });
  });
}

function result(message: QMPMessage): unknown {
  if (message.error) throw new QMPError(message.error.class ?? "GenericError", message.error.desc ?? "unknown QMP error");
  return message.return;
}

/** Runs one QMP command on the socket and returns its `return` value (throws QMPError on `error`). */
export async function qmpExecute(socketPath: string, command: string, args?: Record<string, unknown>, options: QMPOptions = {}): Promise<unknown> {
  const connectTimeout = options.connectTimeoutMs ?? QMP_CONNECT_TIMEOUT_MS;
  const conn = new QMPConnection(await connect(socketPath, connectTimeout));
  try {
    const greeting = await conn.next(connectTimeout);
    if (greeting.QMP === undefined) throw new LimaError("unexpected QMP greeting");
    conn.send("qmp_capabilities");
    result(await conn.next(connectTimeout));
    conn.send(command, args);
    return result(await conn.next(options.replyTimeoutMs));
  } finally {
    conn.close();
  }
}

/** HMP through QMP (`savevm`, `info snapshots`, ...): returns the monitor's text output. */
export async function humanMonitorCommand(socketPath: string, commandLine: string, options: QMPOptions = {}): Promise<string> {
  const out = await qmpExecute(socketPath, "human-monitor-command", { "command-line": commandLine }, options);
  return typeof out === "string" ? out : "";
}
