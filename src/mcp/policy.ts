// The pure rules of the MCP tools: which paths a tool accepts, Go's fs.FileMode of a POSIX mode
// (the `mode` of list_directory entries), and Go's path.Match/Glob for the glob tool.
import path from "node:path";

/**
 * The guest path a tool works on (Lima: TranslateHostPath). Paths must be absolute: a host path
 * under a mount is the same path in the guest (Lima mounts at the host location by default),
 * and whatever else the guest user may touch the guest itself decides (read-only mounts, modes).
 */
export function guestPathOf(hostPath: string): string {
  if (hostPath === "") throw new Error("path is empty");
  if (!path.posix.isAbsolute(hostPath)) throw new Error(`expected an absolute path, got a relative path: \`${hostPath}\``);
  if (hostPath.includes("\0")) throw new Error(`path contains a NUL byte: \`${hostPath.replaceAll("\0", "\\x00")}\``);
  return hostPath;
}

// Go's io/fs mode bits (fs.ModeDir ...), which encoding/json prints as one integer.
const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
};
const S_IFMT = 0o170000;
const S_TYPES: Record<number, number> = {
  0o060000: GO_MODE.device,
  0o020000: GO_MODE.device + GO_MODE.charDevice,
  0o040000: GO_MODE.dir,
  0o010000: GO_MODE.namedPipe,
  0o120000: GO_MODE.symlink,
  0o100000: 0,
  0o140000: GO_MODE.socket,
};

/** A POSIX st_mode as Go's fs.FileMode (pkg/sftp's toFileMode). */
export function goFileMode(posix: number): number {
  let mode = (posix & 0o777) + (S_TYPES[posix & S_IFMT] ?? 0);
  if (posix & 0o4000) mode += GO_MODE.setuid;
  if (posix & 0o2000) mode += GO_MODE.setgid;
  if (posix & 0o1000) mode += GO_MODE.sticky;
  return mode;
}

export class BadPatternError extends Error {
  constructor() {
    super("syntax error in pattern");
  }
}

/** Go's path.Match pattern as a RegExp for one path element (`*`, `?`, `[...]`, `\` escapes). */
export function matchRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      i++;
      if (i >= pattern.length) throw new BadPatternError();
      re += escapeRegExp(pattern[i] as string);
    } else if (c === "[") {
      const end = classEnd(pattern, i);
      re += classRegExp(pattern.slice(i + 1, end));
      i = end;
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, "u");
}

function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === "^") i++;
  let first = true;
  for (; i < pattern.length; i++) {
    if (pattern[i] === "]" && !first) return i;
    if (pattern[i] === "\\") i++;
    first = false;
  }
  throw new BadPatternError();
}

function classRegExp(body: string): string {
  let negate = false;
  let i = 0;
  if (body[0] === "^") {
    negate = true;
    i = 1;
  }
  let out = "";
  for (; i < body.length; i++) {
    let c = body[i] as string;
    if (c === "\\") c = body[++i] ?? "";
    if (c === "" || c === "/") throw new BadPatternError();
    if (body[i + 1] === "-" && i + 2 < body.length) {
      let hi = body[i + 2] as string;
      i += 2;
      if (hi === "\\") hi = body[++i] ?? "";
      if (hi === "" || hi < c) throw new BadPatternError();
      out += `${escapeClass(c)}-${escapeClass(hi)}`;
    } else out += escapeClass(c);
  }
  if (out === "") throw new BadPatternError();
  return negate ? `[^/${out}]` : `[${out}]`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

function escapeClass(s: string): string {
  return s.replace(/[\\\]^-]/g, "\\$&");
}

export function hasMeta(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

/** What Glob needs of a file system. */
export interface GlobFS {
  /** Names in a directory; rejects when it is no directory or unreadable. */
  names(dir: string): Promise<string[]>;
  exists(file: string): Promise<boolean>;
}

/** Go's path/filepath.Glob over a GlobFS: sorted matches; unreadable directories match nothing. */
export async function glob(pattern: string, fs: GlobFS): Promise<string[]> {
  matchRegExp(pattern); // a bad pattern is an error even when nothing could match
  if (!hasMeta(pattern)) return (await fs.exists(pattern)) ? [pattern] : [];
  const slash = pattern.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : pattern.slice(0, slash);
  const file = pattern.slice(slash + 1);
  const dirs = hasMeta(dir) ? await glob(dir, fs) : [dir];
  const matches: string[] = [];
  for (const d of dirs) matches.push(...(await globIn(d, file, fs)));
  return matches;
}

async function globIn(dir: string, file: string, fs: GlobFS): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.names(dir);
  } catch {
    return [];
  }
  const re = matchRegExp(file);
  return names
    .sort()
    .filter((n) => re.test(n))
    .map((n) => path.posix.join(dir, n));
}
