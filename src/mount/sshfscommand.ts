// The pure parts of a reverse-sshfs mount: what runs in the guest (sshfs in slave mode, talking
// SFTP over its stdin/stdout), what runs on the host (sftp-server), and reading the guest's
// mount table to see the mount appear.
import { shellQuote } from "../sshutil/sshutil.js";

export interface SSHFSMountOptions {
  readonly: boolean;
  /** `sshfs.cache` (false adds `cache=no`). */
  cache: boolean;
  /** `sshfs.followSymlinks`. */
  followSymlinks: boolean;
  /** The retry after a failed mount: allow mounting over a non-empty directory (libfuse 2 only). */
  nonempty?: boolean;
}

/** The `-o` value after `slave` and `ro`: allow_other needs `user_allow_other` in the guest's fuse.conf. */
export function sshfsOptionList(o: SSHFSMountOptions): string {
  const opts = ["allow_other"];
  if (!o.cache) opts.push("cache=no");
  if (o.followSymlinks) opts.push("follow_symlinks");
  if (o.nonempty) opts.push("nonempty");
  return opts.join(",");
}

/**
 * The command ssh runs in the guest. It goes through the guest user's shell, so every path is
 * shell-quoted (Lima's Go-quoting lets the shell expand `$` and backquotes in a path).
 */
export function sshfsRemoteCommand(location: string, mountPoint: string, o: SSHFSMountOptions): string {
  const words = ["sshfs", shellQuote(`:${location}`), shellQuote(mountPoint), "-o", "slave"];
  if (o.readonly) words.push("-o", "ro");
  words.push("-o", sshfsOptionList(o));
  return words.join(" ");
}

/** `mkdir -p` of the mount point in the guest. */
export function mkdirRemoteCommand(mountPoint: string): string {
  return `mkdir -p ${shellQuote(mountPoint)}`;
}

/**
 * sftp-server's arguments: log to stderr, start in the shared directory (its `-d` expands `%d`
 * and `%u`, hence the doubled `%`), refuse writes on read-only mounts.
 */
export function sftpServerArgs(location: string, readonly: boolean): string[] {
  const args = ["-e", "-d", location.replaceAll("%", "%%")];
  if (readonly) args.push("-R");
  return args;
}

/** The guest command that prints its mount table: /proc's form where there is one, else `mount`'s. */
export const MOUNT_TABLE_COMMAND = "cat /proc/self/mounts 2>/dev/null || mount";

/** Undoes the kernel's octal escapes in /proc/self/mounts fields (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function unescapeMountField(field: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(field, "utf8");
  for (let i = 0; i < raw.length; i++) {
    const octal = raw[i] === 0x5c ? /^[0-7]{3}/.exec(raw.subarray(i + 1, i + 4).toString("latin1")) : null;
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else bytes.push(raw[i] ?? 0);
  }
  return Buffer.from(bytes).toString("utf8");
}

const FUSE_SSHFS = /^(fuse\.sshfs|osxfuse|macfuse)/;

/**
 * Whether the mount table shows an sshfs mount on `mountPoint`: /proc/self/mounts lines
 * (`src dir type opts 0 0`), or `mount` lines (`src on dir type T (opts)`, BSD `src on dir (T, opts)`).
 */
export function mountTableShowsSSHFS(table: string, mountPoint: string): boolean {
  for (const line of table.split("\n")) {
    const fields = line.split(" ");
    if (fields.length === 6 && unescapeMountField(fields[1] ?? "") === mountPoint && FUSE_SSHFS.test(fields[2] ?? "")) return true;
    const on = line.indexOf(` on ${mountPoint} `);
    if (on < 0) continue;
    const rest = line.slice(on + mountPoint.length + 5);
    if (FUSE_SSHFS.test(rest.replace(/^type /, "").replace(/^\(/, ""))) return true;
  }
  return false;
}
