// Decompression of downloaded images: chosen by the URL's extension, else by the file's magic bytes.
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { LimaError, errorMessage, isErrno } from "../util/errors.js";
import { goQuote, q } from "../util/goquote.js";

export type Decompressor = "gzip" | "bzip2" | "xz" | "zstd";

const BY_EXTENSION: Readonly<Record<string, Decompressor>> = { ".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd" };

const MAGIC: ReadonlyArray<readonly [Decompressor, readonly number[]]> = [
  ["gzip", [0x1f, 0x8b]],
  ["bzip2", [0x42, 0x5a, 0x68]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
];

export function decompressorByExtension(ext: string): Decompressor | undefined {
  return BY_EXTENSION[ext];
}

export function decompressorByMagic(header: Uint8Array): Decompressor | undefined {
  const match = MAGIC.find(([, magic]) => magic.every((byte, i) => header[i] === byte));
  return match?.[0];
}

export async function sniffDecompressor(file: string): Promise<Decompressor | undefined> {
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(6);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    return decompressorByMagic(header.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Decompresses `src` into `dst` (created or truncated); `progress` sees the compressed bytes. */
export async function decompressFile(decompressor: Decompressor, src: string, dst: string, progress?: Transform): Promise<void> {
  // Node has zlib built in; bzip2, xz and zstd (absent from Node 20's zlib) run as `<prog> -d`.
  if (decompressor === "gzip") return decompressWithZlib(src, dst, progress);
  return decompressWithProgram(decompressor, src, dst, progress);
}

async function decompressWithZlib(src: string, dst: string, progress?: Transform): Promise<void> {
  const stages = [createReadStream(src), ...(progress ? [progress] : []), createGunzip(), createWriteStream(dst)];
  try {
    await pipeline(stages);
  } catch (err) {
    throw new LimaError(`failed to decompress ${q(src)} with gzip: ${errorMessage(err)}`, { cause: err });
  }
}

async function decompressWithProgram(program: Decompressor, src: string, dst: string, progress?: Transform): Promise<void> {
  const out = await open(dst, "w", 0o644);
  try {
    const child = spawn(program, ["-d"], { stdio: ["pipe", out.fd, "pipe"] });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    const stdin = child.stdin;
    if (stdin === null) throw new LimaError(`failed to run ${goQuote(program)}: no stdin`);
    const input = progress ? pipeline(createReadStream(src), progress, stdin) : pipeline(createReadStream(src), stdin);
    const [code, fed] = await Promise.allSettled([exited, input]);
    if (code.status === "rejected") throw spawnError(program, code.reason);
    if (code.value !== 0) {
      const detail = stderr.trim() === "" ? "" : `: ${stderr.trim()}`;
      throw new LimaError(`failed to decompress ${q(src)} with ${q(`${program} -d`)}: exit status ${code.value ?? "signal"}${detail}`);
    }
    if (fed.status === "rejected") throw new LimaError(`failed to decompress ${q(src)}: ${errorMessage(fed.reason)}`, { cause: fed.reason });
  } finally {
    await out.close();
  }
}

function spawnError(program: string, err: unknown): LimaError {
  if (isErrno(err, "ENOENT")) {
    const reason = `exec: ${goQuote(program)}: executable file not found in $PATH`;
    return new LimaError(`decompressor ${goQuote(program)} not found and no built-in fallback: ${reason}`, { cause: err });
  }
  return new LimaError(`failed to run ${goQuote(program)}: ${errorMessage(err)}`, { cause: err });
}
