// $LIMA_HOME and the cache directory, resolved the way Lima resolves them.
import { realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { validateIdentifier, validateInstanceName } from "../identifiers/validate.js";
import { LimaError } from "../util/errors.js";

/** The last resolved LIMA_HOME and what it was resolved from: commands ask once per instance. */
let resolved: { from: string; dir: string } | undefined;

export function limaHome(): string {
  const from = `${process.env.LIMA_HOME ?? ""}\0${process.env.HOME ?? ""}\0${process.cwd()}`;
  if (resolved?.from === from) return resolved.dir;
  let dir = process.env.LIMA_HOME ?? "";
  if (dir === "") {
    const home = os.homedir();
    if (!home) throw new LimaError("could not determine LIMA_HOME: neither $LIMA_HOME nor $HOME is set");
    dir = path.join(home, ".lima");
  }
  dir = path.resolve(dir);
  try {
    const real = realpathSync(dir);
    // Only an existing directory is remembered: a later mkdir may change what it resolves to.
    resolved = { from, dir: real };
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

/**
 * `$LIMA_HOME/<name>`, the one way an instance name becomes a path: the name must be a valid
 * instance name, so `../x` or `a/b` can never reach outside $LIMA_HOME or into another directory.
 */
export function instanceDir(name: string): string {
  validateInstanceName(name);
  return path.join(limaHome(), name);
}

/** `$LIMA_HOME/_disks/<name>`, the one way a disk name becomes a path (validated like Lima's DiskDir). */
export function diskDir(name: string): string {
  validateIdentifier(name);
  return path.join(limaDisksDir(), name);
}

/** os.UserCacheDir()/lima: `$XDG_CACHE_HOME/lima` or `~/.cache/lima` (Linux), `~/Library/Caches/lima` (macOS). */
export function limaCacheDir(): string {
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Caches", "lima");
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
  return path.join(base, "lima");
}
