// Layout of the download cache (`<cacheDir>/by-url-sha256/<sha256(url)>/`) and its small helpers.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { limaCacheDir } from "../store/dirnames.js";
import { isErrno } from "../util/errors.js";
import { isProcessAlive } from "../store/pidfile.js";

export interface CacheEntry {
  dir: string;
  data: string;
  url: string;
  time: string;
  type: string;
  /** `<algo>.digest`, only when a digest is expected. */
  digest?: string;
}

export function defaultCacheDir(): string {
  return path.join(limaCacheDir(), "download");
}

/** Lowercase hex SHA-256 of the exact URL string (no normalisation). */
export function cacheKey(url: string): string {
  return createHash("sha256").update(url).digest("hex");
}

export function entryDir(cacheDir: string, url: string): string {
  return path.join(cacheDir, "by-url-sha256", cacheKey(url));
}

export function cacheEntry(cacheDir: string, url: string, digestAlgorithm?: string): CacheEntry {
  const dir = entryDir(cacheDir, url);
  const file = (name: string) => path.join(dir, name);
  const entry: CacheEntry = { dir, data: file("data"), url: file("url"), time: file("time"), type: file("type") };
  if (digestAlgorithm !== undefined) entry.digest = file(`${digestAlgorithm}.digest`);
  return entry;
}

/** The cached `data` file of `url`, when there is one. */
export function cachedPath(url: string, cacheDir: string = defaultCacheDir()): string | undefined {
  const data = cacheEntry(cacheDir, url).data;
  return existsSync(data) ? data : undefined;
}

/** Every entry directory, by key (for `limactl prune`). */
export async function cacheEntries(cacheDir: string = defaultCacheDir()): Promise<Map<string, string>> {
  const root = path.join(cacheDir, "by-url-sha256");
  const names = await readdir(root).catch((err: unknown) => {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  });
  return new Map(names.map((name) => [name, path.join(root, name)]));
}

/** The content of a small cache file, "" when missing. */
export async function readEntryFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return "";
    throw err;
  }
}

let tempCounter = 0;

/** `<file>.tmp.<pid>.<counter>`: unique per process and per call, so parallel writers never share one. */
export function tempPath(file: string): string {
  tempCounter++;
  return `${file}.tmp.${process.pid}.${tempCounter}`;
}

const TEMP_SUFFIX = /\.tmp\.(\d+)\.\d+$/;

/** Writes through a temp file and a rename, so readers see the old content or the whole new one. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = tempPath(file);
  try {
    await writeFile(temp, content, { mode: 0o644 });
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Removes every temp file in an entry directory; the caller holds the entry lock, so none is in use. */
export async function removeEntryTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (TEMP_SUFFIX.test(name)) await rm(path.join(dir, name), { force: true });
  }
}

/** Removes `<file>.tmp.<pid>.*` siblings left by processes that died (no lock guards destinations). */
export async function removeDeadSiblingTempFiles(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.tmp.`;
  for (const name of await readdir(dir)) {
    const pid = name.startsWith(prefix) ? TEMP_SUFFIX.exec(name)?.[1] : undefined;
    if (pid !== undefined && !isProcessAlive(Number(pid))) await rm(path.join(dir, name), { force: true });
  }
}

/** Removes every `<algo>.digest`: they vouch for the data about to be replaced. */
export async function removeDigestFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.endsWith(".digest")) await rm(path.join(dir, name), { force: true });
  }
}

const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Go's time.Parse(http.TimeFormat, s) in milliseconds; undefined when it would fail. */
export function parseHttpDate(text: string): number | undefined {
  if (!HTTP_DATE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Same instant when both parse, same string when neither does, different otherwise. */
export function sameLastModified(cached: string, remote: string): boolean {
  const cachedMs = parseHttpDate(cached);
  const remoteMs = parseHttpDate(remote);
  if (cachedMs === undefined && remoteMs === undefined) return cached === remote;
  return cachedMs === remoteMs;
}
