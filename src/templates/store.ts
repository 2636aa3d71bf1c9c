// The template store (Lima: pkg/templatestore): `template:NAME` files looked up along a search path.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { limaTemplatesDir } from "../store/dirnames.js";
import { shareDir } from "../util/pkgroot.js";
import { isErrno, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export interface StoreTemplate {
  name: string;
  location: string;
}

/** `$LIMA_TEMPLATES_PATH` (plain split) or `$LIMA_HOME/_templates` followed by the shipped templates. */
export function templateSearchPath(): string[] {
  const fromEnv = process.env.LIMA_TEMPLATES_PATH ?? "";
  if (fromEnv !== "") return fromEnv.split(path.delimiter);
  return [limaTemplatesDir(), path.join(shareDir(), "templates")];
}

/** `ubuntu-24.04` and `docker` get `.yaml`; `docker.sh` keeps its extension. */
export function templateFileName(name: string): string {
  const ext = path.posix.extname(name);
  if (ext.length < 2 || /^\d/.test(ext.slice(1))) return `${name}.yaml`;
  return name;
}

export function readTemplate(name: string): Uint8Array {
  if (name.includes("..")) throw new LimaError(`template name ${q(name)} must not contain ${q("..")}`);
  const fileName = templateFileName(name);
  for (const dir of templateSearchPath()) {
    const filePath = path.normalize(path.join(dir, fileName));
    try {
      return readFileSync(filePath);
    } catch (err) {
      if (!isErrno(err, "ENOENT") && !isErrno(err, "ENOTDIR")) throw err;
    }
  }
  throw new LimaError(`template ${q(fileName)} not found`);
}

/** Every template in the search path; the first directory providing a name wins. Sorted by name. */
export function listTemplates(): StoreTemplate[] {
  const found = new Map<string, string>();
  for (const dir of templateSearchPath()) {
    if (!isDirectory(dir)) continue;
    for (const file of yamlFilesUnder(dir)) {
      const name = path.relative(dir, file).split(path.sep).join("/").replace(/\.yaml$/, "");
      if (!found.has(name)) found.set(name, file);
    }
  }
  return [...found]
    .map(([name, location]) => ({ name, location }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// The search directories themselves may be symlinks (e.g. a Homebrew prefix), so they are followed.
function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Like Go's filepath.WalkDir: symlinked directories are not descended into. */
function yamlFilesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...yamlFilesUnder(full));
      continue;
    }
    if (!entry.name.startsWith(".") && entry.name.endsWith(".yaml")) files.push(full);
  }
  return files;
}
