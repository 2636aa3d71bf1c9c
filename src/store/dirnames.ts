// $LIMA_HOME and the cache directory, resolved the way Lima resolves them.
import { realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LimaError } from "../util/errors.js";

/** The last resolved LIMA_HOME, by the variables it came from: commands resolve it once per instance. */
let resolved: { from: string; dir: string } | undefined;

export function limaHome(): string {
  let dir = process.env.LIMA_HOME ?? "";
  if (dir === "") {
    const home = os.homedir();
    if (!home) throw new LimaError("could not determine LIMA_HOME: neither $LIMA_HOME nor $HOME is set");
    dir = path.join(home, ".lima");
  }
  dir = path.resolve(dir);
  if (resolved?.from === dir) return resolved.dir;
  try {
    const real = realpathSync(dir);
    // Only an existing directory is remembered: a later mkdir may change what it resolves to.
    resolved = { from: dir, dir: real };
    return real;
  } catch {
    return dir;
  }
}

export function limaConfigDir(): string {
  return path.join(limaHome(), "_config");
}

export function limaDisksDir(): string {
  return path.join(limaHome(), "_disks");
}

export function limaTemplatesDir(): string {
  return path.join(limaHome(), "_templates");
}

export function instanceDir(name: string): string {
  return path.join(limaHome(), name);
}

/** os.UserCacheDir(): `$XDG_CACHE_HOME` or `~/.cache` (Linux), `~/Library/Caches` (macOS). */
function userCacheDir(): string {
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Caches");
  const xdg = process.env.XDG_CACHE_HOME;
  return xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
}

/** os.UserCacheDir()/lima: Lima's download cache, shared with Lima. */
export function limaCacheDir(): string {
  return path.join(userCacheDir(), "lima");
}

/** os.UserCacheDir()/lima-ts: what only lima-ts keeps (the test guest image, tool versions). */
export function limaTSCacheDir(): string {
  return path.join(userCacheDir(), "lima-ts");
}
