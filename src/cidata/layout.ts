// The file set of the cidata volume: rendered files, the boot scripts shipped in
// src/cidata/boot/, driver-provided boot scripts, provisioning files and optional binaries.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import type { Provision } from "../config/types.js";
import { logger } from "../log/logger.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { packageRoot } from "../util/pkgroot.js";
import { NERDCTL_ARCHIVE, provisionFileName, type TemplateArgs } from "./args.js";
import type { IsoEntry } from "./iso9660.js";
import { renderEtcEnvironment, renderLimaEnv, renderMetaData, renderNetworkConfig, renderParamEnv, renderUserData } from "./render.js";

const EXECUTABLE = 0o755;
const DATA = 0o644;

export function bootScriptsDir(): string {
  return path.join(packageRoot(), "src", "cidata", "boot");
}

export function renderedEntries(args: TemplateArgs): IsoEntry[] {
  return [
    { path: "user-data", data: renderUserData(args, true), mode: DATA },
    { path: "meta-data", data: renderMetaData(args), mode: DATA },
    { path: "network-config", data: renderNetworkConfig(args), mode: DATA },
    { path: "lima.env", data: renderLimaEnv(args), mode: DATA },
    { path: "param.env", data: renderParamEnv(args), mode: DATA },
    { path: "etc_environment", data: renderEtcEnvironment(args), mode: DATA },
  ];
}

/** Every file below `dir` (recursively), as executable entries with slash-separated relative paths. */
export async function bootScriptEntries(dir: string = bootScriptsDir()): Promise<IsoEntry[]> {
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  const entries: IsoEntry[] = [];
  for (const file of files) {
    if (!file.isFile()) continue;
    const full = path.join(file.parentPath, file.name);
    const rel = path.relative(dir, full).split(path.sep).join("/");
    entries.push({ path: rel, data: await readFile(full), mode: EXECUTABLE });
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Driver scripts: `boot.<OS>/<script>`; a bare name means `boot.Linux/<name>`. */
export function driverScriptEntries(scripts: Record<string, Uint8Array>): IsoEntry[] {
  return Object.entries(scripts).map(([name, data]) => {
    if (!name.includes("/")) {
      logger.warn(`Boot script filename ${q(name)} does not contain '/', treating it as a script for Linux and prefixing with 'boot.Linux/'`);
      return { path: `boot.Linux/${name}`, data, mode: EXECUTABLE };
    }
    if (!name.startsWith("boot.") || name.split("/").length !== 2) {
      throw new LimaError(`invalid boot script filename ${q(name)}: must be in format 'boot.<OS>/<SCRIPT>'`);
    }
    return { path: name, data, mode: EXECUTABLE };
  });
}

/** `provision.<mode>/NNNNNNNN`; boot provisions live in user-data, ansible ones run on the host. */
export function provisionEntries(provisions: readonly Provision[]): IsoEntry[] {
  const entries: IsoEntry[] = [];
  provisions.forEach((p, i) => {
    const file = `provision.${p.mode}/${provisionFileName(i)}`;
    switch (p.mode) {
      case "system":
      case "user":
      case "dependency":
        entries.push({ path: file, data: p.script ?? "", mode: EXECUTABLE });
        return;
      case "data":
        entries.push({ path: file, data: p.content ?? "", mode: DATA });
        return;
      case "yq":
        entries.push({ path: file, data: p.expression ?? "", mode: DATA });
        return;
      case "boot":
      case "ansible":
        return;
      default:
        throw new LimaError(`unknown provision mode ${q(p.mode)}`);
    }
  });
  return entries;
}

/** The guest agent goes in uncompressed, whatever form it is shipped in. */
export async function guestAgentEntry(binary: string): Promise<IsoEntry> {
  const raw = await readFile(binary);
  const data = binary.endsWith(".gz") ? gunzipSync(raw) : raw;
  return { path: "lima-guestagent", data, mode: EXECUTABLE };
}

export async function nerdctlArchiveEntry(archive: string): Promise<IsoEntry> {
  // ISO 9660 names must stay short, so the archive always has this name.
  return { path: NERDCTL_ARCHIVE, data: await readFile(archive), mode: DATA };
}
