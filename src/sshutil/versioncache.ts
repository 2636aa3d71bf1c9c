// `ssh -V` costs a process spawn, and every `limactl shell` needs the answer (the Ciphers option
// depends on it). The answer is kept in a small file per user, by ssh binary: it is asked again
// only when the `ssh` found on PATH is another file or was replaced (inode, size or mtime).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, type Stats, statSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface OpenSSHVersion {
  major: number;
  minor: number;
}

export const SSH_VERSION_CACHE_FILE = "openssh-version.json";

interface CacheEntry extends OpenSSHVersion {
  /** `inode:size:mtime` of the binary when it was asked. */
  identity: string;
}

/** The `ssh` that spawning "ssh" runs: the first regular file named ssh on PATH. */
export function sshOnPath(envPath: string = process.env.PATH ?? ""): { file: string; identity: string } | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, "ssh");
    let st: Stats | undefined;
    try {
      st = statSync(file);
    } catch {
      // Missing, not a directory, or not ours to read (EACCES): the shell's search skips it too.
      continue;
    }
    if (st.isFile() && (st.mode & 0o111) !== 0) return { file, identity: `${st.ino}:${st.size}:${st.mtimeMs}` };
  }
  return undefined;
}

/** Runs `ssh -V`: OpenSSH prints `OpenSSH_9.2p1 Debian-2, OpenSSL …` on stderr. */
export function detectOpenSSHVersion(sshExe = "ssh"): OpenSSHVersion {
  const res = spawnSync(sshExe, ["-o", "GSSAPIAuthentication=no", "-V"], { encoding: "utf8" });
  const m = /OpenSSH_(?:for_Windows_)?(\d+)\.(\d+)/.exec(`${res.stderr}${res.stdout}`);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 0, minor: 0 };
}

function readEntries(cacheFile: string): Record<string, CacheEntry> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(cacheFile, "utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, CacheEntry>) : {};
  } catch {
    return {};
  }
}

/** Best effort: a cache that cannot be written only means asking again next time. */
function writeEntries(cacheFile: string, entries: Record<string, CacheEntry>): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${JSON.stringify(entries)}\n`, { mode: 0o600 });
    renameSync(tmp, cacheFile);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** The version of the ssh on PATH, from `cacheFile` when that binary was asked before. */
export function cachedOpenSSHVersion(cacheFile: string, envPath?: string): OpenSSHVersion {
  const ssh = sshOnPath(envPath);
  if (ssh === undefined) return detectOpenSSHVersion();
  const entries = readEntries(cacheFile);
  const hit = entries[ssh.file];
  if (hit?.identity === ssh.identity && Number.isInteger(hit.major) && Number.isInteger(hit.minor)) return { major: hit.major, minor: hit.minor };
  const version = detectOpenSSHVersion(ssh.file);
  writeEntries(cacheFile, { ...entries, [ssh.file]: { ...version, identity: ssh.identity } });
  return version;
}
