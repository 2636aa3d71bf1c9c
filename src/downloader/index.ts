// Downloads images, kernels and archives into instance directories through the shared cache
// (spec: lima-runtime.md §1.9; lima: pkg/downloader).
import { constants, createWriteStream } from "node:fs";
import { copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { logger } from "../log/logger.js";
import { LimaError, errorMessage } from "../util/errors.js";
import { goQuote, q } from "../util/goquote.js";
import {
  type CacheEntry,
  cacheEntries,
  cacheEntry,
  defaultCacheDir,
  readEntryFile,
  removeDeadSiblingTempFiles,
  removeDigestFiles,
  removeEntryTempFiles,
  sameLastModified,
  tempPath,
  writeFileAtomic,
} from "./cache.js";
import { decompressFile, decompressorByExtension, sniffDecompressor } from "./decompress.js";
import { type Digest, digestMismatch, digestOf, fileDigest, formatDigest, newHasher, parseDigest } from "./digest.js";
import { DEFAULT_TIMEOUTS, type HttpTimeouts, httpRequest } from "./http.js";
import { canonicalLocalPath, goExt, isLocal } from "./localpath.js";
import { withDirLock } from "./lock.js";
import { progressStream } from "./progress.js";
import { pathExists } from "../util/fsutil.js";

export { cacheEntries, cachedPath, cacheKey, defaultCacheDir } from "./cache.js";
export { isLocal } from "./localpath.js";

export interface DownloadOptions {
  /** OCI digest `<algo>:<hex>` (sha256, sha384, sha512); validated before anything else. */
  expectedDigest?: string;
  /** Decompress into the destination (by URL extension, else by magic bytes). */
  decompress?: boolean;
  /** Default: limaCacheDir()/download. */
  cacheDir?: string;
  /** Shown in the "Downloading" line and next to the progress bar (default: the URL). */
  description?: string;
  /** "Downloading …" messages, plus a bar when stderr is a TTY. */
  progress?: boolean;
  /** Only make sure the remote is in the cache (or a local source's digest is right); `local` is ignored. */
  cacheOnly?: boolean;
  /** Connect and idle timeouts (default: http.ts's CONNECT_TIMEOUT_MS and IDLE_TIMEOUT_MS). */
  timeouts?: Partial<HttpTimeouts>;
}

export type DownloadStatus = "downloaded" | "skipped" | "used-cache";

export interface DownloadResult {
  status: DownloadStatus;
  cachePath?: string;
  cacheDigestPath?: string;
  lastModified?: string;
  contentType?: string;
}

/** What to do with the bytes once they are verified. */
interface Delivery {
  destination?: string;
  source: string;
  expected?: Digest;
  decompress: boolean;
  progress: boolean;
  description: string;
  timeouts: HttpTimeouts;
}

export async function download(local: string, remote: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const expected = options.expectedDigest ? parseDigest(options.expectedDigest) : undefined;
  const destination = options.cacheOnly ? undefined : canonicalLocalPath(local);
  if (destination !== undefined) {
    if (await pathExists(destination)) {
      logger.debug(`file ${q(destination)} already exists, skipping downloading from ${q(remote)} (and skipping digest validation)`);
      return { status: "skipped" };
    }
    await mkdir(path.dirname(destination), { recursive: true, mode: 0o755 });
  }
  const delivery: Delivery = {
    destination,
    source: remote,
    expected,
    decompress: options.decompress ?? false,
    progress: options.progress ?? false,
    description: options.description || remote,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
  };
  if (isLocal(remote)) {
    await deliver(canonicalLocalPath(remote), delivery, true);
    return { status: "downloaded" };
  }
  const entry = cacheEntry(options.cacheDir ?? defaultCacheDir(), remote, expected?.algorithm);
  await mkdir(entry.dir, { recursive: true, mode: 0o700 });
  return withDirLock(entry.dir, async () => {
    await removeEntryTempFiles(entry.dir);
    return (await useCache(entry, delivery)) ?? (await fetchIntoCache(entry, delivery));
  });
}

/** Deletes the leftover temp files of every entry, each under its lock (`limactl prune`). */
export async function removeStaleTempFiles(cacheDir: string = defaultCacheDir()): Promise<void> {
  for (const dir of (await cacheEntries(cacheDir)).values()) {
    await withDirLock(dir, () => removeEntryTempFiles(dir));
  }
}

/** Delivers from the cache; undefined when there is nothing (fresh) to use. */
async function useCache(entry: CacheEntry, delivery: Delivery): Promise<DownloadResult | undefined> {
  if (!(await pathExists(entry.data))) return undefined;
  const digestFile = entry.digest !== undefined && (await pathExists(entry.digest)) ? entry.digest : undefined;
  if (digestFile !== undefined && delivery.expected !== undefined) {
    // The digest file vouches for the data: comparing strings, not re-hashing, is Lima's contract.
    const recorded = (await readEntryFile(digestFile)).trim();
    const expected = formatDigest(delivery.expected);
    if (recorded !== expected) throw digestMismatch(delivery.source, expected, recorded, digestFile);
  } else if (!(await isCacheFresh(entry, delivery))) {
    return undefined;
  }
  logger.debug(`file ${q(delivery.destination ?? "")} is cached as ${q(entry.data)}`);
  await deliver(entry.data, delivery, digestFile === undefined);
  return result("used-cache", entry);
}

/** Without a digest file, the cache is trusted while the server's Last-Modified still matches `time`. */
async function isCacheFresh(entry: CacheEntry, delivery: Delivery): Promise<boolean> {
  const cached = await readEntryFile(entry.time);
  if (cached === "") return logMismatch("<not cached>", "<not checked>");
  let remote: string;
  try {
    const response = await httpRequest("HEAD", delivery.source, { timeouts: delivery.timeouts });
    response.body.resume();
    remote = response.headers["last-modified"] ?? "";
  } catch (err) {
    logger.info("Failed to retrieve last-modified for cached digest-less image; using cached image.", { error: errorMessage(err) });
    return true;
  }
  if (remote === "") return logMismatch(cached, "<missing Last-Modified header>");
  return sameLastModified(cached, remote) || logMismatch(cached, remote);
}

function logMismatch(cached: string, remote: string): false {
  logger.info(`Re-downloading digest-less image: last-modified mismatch (cached: ${q(cached)}, remote: ${q(remote)})`);
  return false;
}

/**
 * GET into a temp file while hashing; only verified data is renamed to `data`, and the digest
 * file comes last, so neither a failed check nor a killed process leaves anything trusted.
 */
async function fetchIntoCache(entry: CacheEntry, delivery: Delivery): Promise<DownloadResult> {
  const temp = tempPath(entry.data);
  try {
    logger.debug(`downloading ${q(delivery.source)} into ${q(entry.data)}`);
    const response = await httpRequest("GET", delivery.source, { timeouts: delivery.timeouts });
    const hasher = delivery.expected ? newHasher(delivery.expected) : undefined;
    const total = Number(response.headers["content-length"] ?? -1);
    let received = 0;
    const tap = passThrough((chunk) => {
      received += chunk.length;
      hasher?.update(chunk);
    });
    if (delivery.progress) process.stderr.write(`Downloading ${delivery.description}\n`);
    const bar = progressStream(delivery.progress, barLabel(delivery), total);
    await pipeline([response.body, tap, ...(bar ? [bar] : []), createWriteStream(temp, { mode: 0o644 })]).catch((err: unknown) => {
      throw new LimaError(`failed to download ${q(delivery.source)}: ${errorMessage(err)}`, { cause: err });
    });
    if (total >= 0 && received !== total) {
      throw new LimaError(`failed to download ${q(delivery.source)}: got ${received} of ${total} bytes`);
    }
    if (hasher && delivery.expected) {
      const expected = formatDigest(delivery.expected);
      const actual = digestOf(hasher, delivery.expected.algorithm);
      if (actual !== expected) throw digestMismatch(delivery.source, expected, actual);
    }
    await fsyncFile(temp);
    await removeDigestFiles(entry.dir);
    await rename(temp, entry.data);
    await writeFileAtomic(entry.url, delivery.source);
    await writeFileAtomic(entry.time, response.headers["last-modified"] ?? "");
    await writeFileAtomic(entry.type, response.headers["content-type"] ?? "");
    if (entry.digest && delivery.expected) await writeFileAtomic(entry.digest, formatDigest(delivery.expected));
  } finally {
    await rm(temp, { force: true });
  }
  await deliver(entry.data, delivery, false);
  return result("downloaded", entry);
}

/** Verifies `file` if asked, then copies or decompresses it to the destination through a temp file. */
async function deliver(file: string, delivery: Delivery, verify: boolean): Promise<void> {
  if (verify && delivery.expected) {
    logger.debug(`verifying digest of local file ${q(file)} (${formatDigest(delivery.expected)})`);
    const expected = formatDigest(delivery.expected);
    const actual = await fileDigest(file, delivery.expected.algorithm);
    if (actual !== expected) throw digestMismatch(delivery.source, expected, actual);
  }
  const destination = delivery.destination;
  if (destination === undefined) return;
  await removeDeadSiblingTempFiles(destination);
  const temp = tempPath(destination);
  try {
    await writeDestination(file, temp, delivery);
    await rename(temp, destination);
  } finally {
    await rm(temp, { force: true });
  }
}

async function writeDestination(file: string, temp: string, delivery: Delivery): Promise<void> {
  const ext = goExt(delivery.source);
  const decompressor = delivery.decompress ? (decompressorByExtension(ext) ?? (await sniffDecompressor(file))) : undefined;
  if (decompressor === undefined) {
    // FICLONE: copy-on-write clone where the filesystem can, a plain copy elsewhere.
    await copyFile(file, temp, constants.COPYFILE_FICLONE);
    return;
  }
  if (delivery.progress) logger.info(`Decompressing ${delivery.description}`);
  logger.info(decompressor === "gzip" ? `decompressing ${ext} with built-in gzip` : `decompressing ${ext} with external ${goQuote(decompressor)}`);
  const bar = progressStream(delivery.progress, barLabel(delivery), (await stat(file)).size);
  await decompressFile(decompressor, file, temp, bar);
}

async function result(status: DownloadStatus, entry: CacheEntry): Promise<DownloadResult> {
  const res: DownloadResult = { status, cachePath: entry.data };
  if (entry.digest && (await pathExists(entry.digest))) res.cacheDigestPath = entry.digest;
  const lastModified = await readEntryFile(entry.time);
  if (lastModified !== "") res.lastModified = lastModified;
  const contentType = await readEntryFile(entry.type);
  if (contentType !== "") res.contentType = contentType;
  return res;
}

function barLabel(delivery: Delivery): string {
  return delivery.description === delivery.source ? path.posix.basename(new URL(delivery.source, "file:///").pathname) : delivery.description;
}

function passThrough(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

