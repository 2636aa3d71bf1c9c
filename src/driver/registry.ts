// Driver registry (Lima: pkg/registry): internal drivers register by name at start-up; external
// `lima-driver-<name>` programs are discovered lazily, on the first lookup, from LIMA_DRIVERS_PATH
// (files or directories) and `<prefix>/libexec/lima`, `<prefix>/lib/lima`. Internal names win,
// and the first program found for a name wins.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { libexecLimaDirs } from "../plugins/plugins.js";
import { isExecutableFile } from "../util/fsutil.js";
import type { Driver } from "./driver.js";

export interface DriverEntry {
  name: string;
  /** "internal" or the path of an external driver program. */
  location: string;
  /** Creates a driver for one instance (configure() tells it which). */
  create(): Driver;
}

export const DRIVER_PREFIX = "lima-driver-";

/**
 * Lima chooses with build tags which drivers are compiled in (`external_qemu`); a TypeScript
 * build has them all, so this variable (comma-separated names) leaves internal drivers out at
 * run time, and the program of that name is used instead.
 */
const EXTERNAL_DRIVERS_ENV = "LIMA_TS_EXTERNAL_DRIVERS";

const internal = new Map<string, DriverEntry>();
let external: Map<string, DriverEntry> | undefined;
let externalFactory: ((name: string, program: string) => Driver) | undefined;

export function internalDriverDisabled(name: string): boolean {
  return (process.env[EXTERNAL_DRIVERS_ENV] ?? "").split(",").some((n) => n.trim() === name);
}

export function registerInternal(entry: DriverEntry): void {
  if (internalDriverDisabled(entry.name)) return;
  if (!internal.has(entry.name)) internal.set(entry.name, entry);
}

/** The gRPC client is registered by drivers.ts, so that the registry itself loads no gRPC code. */
export function setExternalDriverFactory(factory: (name: string, program: string) => Driver): void {
  externalFactory = factory;
}

/**
 * The `<name>` of a `lima-driver-<name>` program, or undefined when the file is not one: on
 * Windows the name must end in `.exe` (stripped), elsewhere it must not.
 */
export function driverNameOf(file: string, platform: NodeJS.Platform = process.platform): string | undefined {
  const base = path.basename(file);
  if (!base.startsWith(DRIVER_PREFIX)) return undefined;
  const rest = base.slice(DRIVER_PREFIX.length);
  if (platform === "win32") return rest.endsWith(".exe") && rest.length > 4 ? rest.slice(0, -4) : undefined;
  if (rest.endsWith(".exe") || rest === "") return undefined;
  return rest;
}

/** Lima's test: a regular file with any execute bit (every file on Windows). */
/** Where external drivers are looked for, in order. */
export function driverSearchPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.LIMA_DRIVERS_PATH ?? "").split(path.delimiter).filter((p) => p !== "");
  // The same directories as plugins and `limactl info`'s libexecPaths.
  return [...fromEnv, ...libexecLimaDirs()];
}

/** External driver programs by name: the first found for each name. */
export function discoverExternalDrivers(searchPaths: string[]): Map<string, string> {
  const found = new Map<string, string>();
  const consider = (file: string): void => {
    const name = driverNameOf(file);
    if (name === undefined || found.has(name) || !isExecutableFile(file)) return;
    found.set(name, file);
  };
  for (const entry of searchPaths) {
    let isDir = false;
    try {
      isDir = statSync(entry).isDirectory();
    } catch {
      continue;
    }
    if (!isDir) {
      consider(entry);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(entry).sort();
    } catch {
      continue;
    }
    for (const name of names) consider(path.join(entry, name));
  }
  return found;
}

function externalDrivers(): Map<string, DriverEntry> {
  if (external) return external;
  external = new Map();
  for (const [name, program] of discoverExternalDrivers(driverSearchPaths())) {
    if (internal.has(name)) continue;
    external.set(name, {
      name,
      location: program,
      create: () => {
        if (!externalFactory) throw new Error("external drivers are not available in this program");
        return externalFactory(name, program);
      },
    });
  }
  return external;
}

export function lookupDriver(name: string): DriverEntry | undefined {
  return internal.get(name) ?? externalDrivers().get(name);
}

export function driverNames(): string[] {
  return allDrivers().map((d) => d.name);
}

export function allDrivers(): DriverEntry[] {
  return [...internal.values(), ...externalDrivers().values()];
}
