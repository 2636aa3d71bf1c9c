// A small SFTP (version 3) client over a byte stream pair: what the MCP file tools need from the
// guest's sftp-server (Lima: github.com/pkg/sftp over `ssh ... -s sftp`). Errors read as pkg/sftp's
// do: "file does not exist", "permission denied", else `sftp: "<message>" (SSH_FX_...)`.
import type { Readable, Writable } from "node:stream";

const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  OPENDIR: 11,
  READDIR: 12,
  MKDIR: 14,
  STAT: 17,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
} as const;

const STATUS_NAMES = [
  "SSH_FX_OK",
  "SSH_FX_EOF",
  "SSH_FX_NO_SUCH_FILE",
  "SSH_FX_PERMISSION_DENIED",
  "SSH_FX_FAILURE",
  "SSH_FX_BAD_MESSAGE",
  "SSH_FX_NO_CONNECTION",
  "SSH_FX_CONNECTION_LOST",
  "SSH_FX_OP_UNSUPPORTED",
];
const FX_OK = 0;
const FX_EOF = 1;
const FX_NO_SUCH_FILE = 2;
const FX_PERMISSION_DENIED = 3;

const ATTR_SIZE = 0x1;
const ATTR_UIDGID = 0x2;
const ATTR_PERMISSIONS = 0x4;
const ATTR_ACMODTIME = 0x8;
const ATTR_EXTENDED = 0x80000000;

const OPEN_READ = 0x1;
const OPEN_WRITE = 0x2;
const OPEN_CREAT = 0x8;
const OPEN_TRUNC = 0x10;

/** Bytes per READ/WRITE request, as pkg/sftp sends them. */
const CHUNK = 32 * 1024;
const SFTP_VERSION = 3;

export interface FileAttrs {
  size?: bigint;
  /** POSIX st_mode (type and permission bits). */
  permissions?: number;
  /** Seconds since the epoch. */
  mtime?: number;
}

export interface DirEntry {
  name: string;
  attrs: FileAttrs;
}

export class SFTPError extends Error {}

function statusError(code: number, message: string): SFTPError {
  if (code === FX_NO_SUCH_FILE) return new SFTPError("file does not exist");
  if (code === FX_PERMISSION_DENIED) return new SFTPError("permission denied");
  return new SFTPError(`sftp: ${JSON.stringify(message)} (${STATUS_NAMES[code] ?? `SSH_FX_${code}`})`);
}

/** Builds a packet payload. */
class Writer {
  private parts: Buffer[] = [];
  u8(n: number): this {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(n: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(n);
    this.parts.push(b);
    return this;
  }
  bytes(data: Buffer | string): this {
    const b = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    this.u32(b.length);
    this.parts.push(b);
    return this;
  }
  packet(): Buffer {
    const body = Buffer.concat(this.parts);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

/** Reads a packet payload. */
class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf.readUInt8(this.pos++);
  }
  u32(): number {
    const n = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return n;
  }
  u64(): bigint {
    const n = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return n;
  }
  bytes(): Buffer {
    const len = this.u32();
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  string(): string {
    return this.bytes().toString("utf8");
  }
  attrs(): FileAttrs {
    const flags = this.u32();
    const attrs: FileAttrs = {};
    if (flags & ATTR_SIZE) attrs.size = this.u64();
    if (flags & ATTR_UIDGID) this.pos += 8;
    if (flags & ATTR_PERMISSIONS) attrs.permissions = this.u32();
    if (flags & ATTR_ACMODTIME) {
      this.u32();
      attrs.mtime = this.u32();
    }
    if (flags & ATTR_EXTENDED) {
      const count = this.u32();
      for (let i = 0; i < count; i++) {
        this.bytes();
        this.bytes();
      }
    }
    return attrs;
  }
}

interface Reply {
  type: number;
  body: Reader;
}

export class SFTPClient {
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private inbox = Buffer.alloc(0);
  private versionWaiter: ((r: Reply) => void) | undefined;
  private closedError: Error | undefined;

  private constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    input.on("data", (chunk: Buffer) => this.onData(chunk));
    input.on("close", () => this.failAll(new SFTPError("connection lost")));
    input.on("error", (err: Error) => this.failAll(err));
  }

  /** Sends INIT and waits for the server's VERSION. */
  static async connect(input: Readable, output: Writable): Promise<SFTPClient> {
    const client = new SFTPClient(input, output);
    const version = new Promise<Reply>((resolve, reject) => {
      client.versionWaiter = resolve;
      client.pending.set(0, { resolve, reject });
    });
    output.write(new Writer().u8(FXP.INIT).u32(SFTP_VERSION).packet());
    const reply = await version;
    if (reply.type !== FXP.VERSION) throw new SFTPError(`sftp: expected VERSION, got packet type ${reply.type}`);
    return client;
  }

  private failAll(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    this.inbox = Buffer.concat([this.inbox, chunk]);
    while (this.inbox.length >= 4) {
      const len = this.inbox.readUInt32BE(0);
      if (this.inbox.length < 4 + len) return;
      const body = new Reader(this.inbox.subarray(4, 4 + len));
      this.inbox = this.inbox.subarray(4 + len);
      this.dispatch(body);
    }
  }

  private dispatch(body: Reader): void {
    const type = body.u8();
    if (type === FXP.VERSION && this.versionWaiter) {
      const waiter = this.versionWaiter;
      this.versionWaiter = undefined;
      this.pending.delete(0);
      waiter({ type, body });
      return;
    }
    const id = body.u32();
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.resolve({ type, body });
  }

  private request(type: number, fill: (w: Writer) => Writer): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const packet = fill(new Writer().u8(type).u32(id)).packet();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.output.write(packet);
    });
  }

  /** A reply that must be STATUS OK. */
  private async expectOK(reply: Reply): Promise<void> {
    if (reply.type !== FXP.STATUS) throw new SFTPError(`sftp: unexpected packet type ${reply.type}`);
    const code = reply.body.u32();
    if (code !== FX_OK) throw statusError(code, reply.body.string());
  }

  private expect(reply: Reply, type: number): Reader {
    if (reply.type === FXP.STATUS) {
      const code = reply.body.u32();
      throw statusError(code, reply.body.string());
    }
    if (reply.type !== type) throw new SFTPError(`sftp: unexpected packet type ${reply.type}`);
    return reply.body;
  }

  private async open(file: string, pflags: number): Promise<Buffer> {
    const reply = await this.request(FXP.OPEN, (w) => w.bytes(file).u32(pflags).u32(0));
    return this.expect(reply, FXP.HANDLE).bytes();
  }

  private async close(handle: Buffer): Promise<void> {
    await this.expectOK(await this.request(FXP.CLOSE, (w) => w.bytes(handle)));
  }

  async stat(file: string): Promise<FileAttrs> {
    return this.expect(await this.request(FXP.STAT, (w) => w.bytes(file)), FXP.ATTRS).attrs();
  }

  async lstat(file: string): Promise<FileAttrs> {
    return this.expect(await this.request(FXP.LSTAT, (w) => w.bytes(file)), FXP.ATTRS).attrs();
  }

  /** Reads at most `limit` bytes from the start of a file. */
  async readFile(file: string, limit: number): Promise<Buffer> {
    const handle = await this.open(file, OPEN_READ);
    const chunks: Buffer[] = [];
    let offset = 0;
    try {
      while (offset < limit) {
        const want = Math.min(CHUNK, limit - offset);
        const reply = await this.request(FXP.READ, (w) => w.bytes(handle).u64(BigInt(offset)).u32(want));
        if (reply.type === FXP.STATUS) {
          const code = reply.body.u32();
          if (code === FX_EOF) break;
          throw statusError(code, reply.body.string());
        }
        const data = this.expect(reply, FXP.DATA).bytes();
        if (data.length === 0) break;
        chunks.push(Buffer.from(data));
        offset += data.length;
      }
    } finally {
      await this.close(handle);
    }
    return Buffer.concat(chunks);
  }

  /** Creates or truncates a file and writes `data` (pkg/sftp Create: O_RDWR|O_CREATE|O_TRUNC). */
  async writeFile(file: string, data: Buffer): Promise<void> {
    const handle = await this.open(file, OPEN_READ | OPEN_WRITE | OPEN_CREAT | OPEN_TRUNC);
    try {
      for (let offset = 0; offset < data.length; offset += CHUNK) {
        const part = data.subarray(offset, offset + CHUNK);
        await this.expectOK(await this.request(FXP.WRITE, (w) => w.bytes(handle).u64(BigInt(offset)).bytes(part)));
      }
    } finally {
      await this.close(handle);
    }
  }

  /** The entries of a directory in the server's order, without `.` and `..`. */
  async readDir(dir: string): Promise<DirEntry[]> {
    const handle = this.expect(await this.request(FXP.OPENDIR, (w) => w.bytes(dir)), FXP.HANDLE).bytes();
    const entries: DirEntry[] = [];
    try {
      for (;;) {
        const reply = await this.request(FXP.READDIR, (w) => w.bytes(handle));
        if (reply.type === FXP.STATUS) {
          const code = reply.body.u32();
          if (code === FX_EOF) break;
          throw statusError(code, reply.body.string());
        }
        const body = this.expect(reply, FXP.NAME);
        const count = body.u32();
        for (let i = 0; i < count; i++) {
          const name = body.string();
          body.string();
          const attrs = body.attrs();
          if (name !== "." && name !== "..") entries.push({ name, attrs });
        }
      }
    } finally {
      await this.close(handle);
    }
    return entries;
  }

  async mkdir(dir: string): Promise<void> {
    await this.expectOK(await this.request(FXP.MKDIR, (w) => w.bytes(dir).u32(0)));
  }

  /** Creates a directory and its missing parents (pkg/sftp MkdirAll). */
  async mkdirAll(dir: string): Promise<void> {
    const existing = await this.stat(dir).catch(() => undefined);
    if (existing !== undefined) {
      if (isDirMode(existing.permissions)) return;
      throw new SFTPError(`mkdir ${dir}: not a directory`);
    }
    const parent = dir.replace(/\/+[^/]*\/*$/, "");
    if (parent !== "" && parent !== dir) await this.mkdirAll(parent);
    try {
      await this.mkdir(dir);
    } catch (err) {
      // Another writer may have created it in between.
      const now = await this.stat(dir).catch(() => undefined);
      if (now === undefined || !isDirMode(now.permissions)) throw err;
    }
  }

  end(): void {
    this.output.end();
    this.input.destroy();
  }
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export function isDirMode(mode: number | undefined): boolean {
  return mode !== undefined && (mode & S_IFMT) === S_IFDIR;
}
