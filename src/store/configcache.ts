// `$INST/.lima.yaml.filled.json`: the instance's lima.yaml as last loaded (defaults filled), so
// `limactl ls` over many instances does not parse YAML and fill defaults for each one on every
// run. An entry is used only when everything the result depends on is unchanged: the lima.yaml
// text, `_config/default.yaml` and `override.yaml`, the host facts, the Lima version of the
// instance and this very build. A source checkout run through tsx has no build id: no caching.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { FillContext } from "../config/defaults.js";
import type { LimaYAML } from "../config/types.js";

declare const __LIMA_TS_BUILD_ID__: string | undefined;

/** Set by scripts/build.mjs to a digest of the sources; undefined when running from source. */
export const BUILD_ID: string | undefined = typeof __LIMA_TS_BUILD_ID__ === "string" ? __LIMA_TS_BUILD_ID__ : undefined;

export const CONFIG_CACHE_FILE = ".lima.yaml.filled.json";

export interface CacheInputs {
  build: string;
  limaYAML: string;
  /** `_config/default.yaml` and `_config/override.yaml`; null when absent. */
  defaultYAML: string | null;
  overrideYAML: string | null;
  context: FillContext;
}

export interface CachedConfig {
  config: LimaYAML;
  /** Warnings the load logged; shown again when the entry is used. */
  warnings: string[];
}

interface CacheEntry extends CachedConfig {
  key: string;
}

/** One string holding every input, compared whole. */
export function cacheKey(inputs: CacheInputs): string {
  return JSON.stringify([inputs.build, inputs.limaYAML, inputs.defaultYAML, inputs.overrideYAML, inputs.context]);
}

export function readCachedConfig(instDir: string, key: string): CachedConfig | undefined {
  let entry: Partial<CacheEntry> | null;
  try {
    entry = JSON.parse(readFileSync(path.join(instDir, CONFIG_CACHE_FILE), "utf8")) as Partial<CacheEntry> | null;
  } catch {
    return undefined;
  }
  if (entry?.key !== key || typeof entry.config !== "object" || entry.config === null || !Array.isArray(entry.warnings)) return undefined;
  return { config: entry.config, warnings: entry.warnings };
}

/**
 * Stores `value` unless JSON cannot carry it exactly (it then reads back as something else).
 * Best effort: an instance directory we may not write to just goes without.
 */
export function writeCachedConfig(instDir: string, key: string, value: CachedConfig): void {
  const json = JSON.stringify({ key, config: value.config, warnings: value.warnings } satisfies CacheEntry);
  if (!sameJSONValue((JSON.parse(json) as CacheEntry).config, value.config)) return;
  const file = path.join(instDir, CONFIG_CACHE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, json, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Deep equality where a property holding `undefined` counts as absent (JSON drops it). */
export function sameJSONValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJSONValue(v, b[i]));
  if (Object.getPrototypeOf(b) !== Object.prototype && Object.getPrototypeOf(b) !== null) return false;
  const defined = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined);
  const aEntries = defined(a);
  const bRecord = b as Record<string, unknown>;
  if (aEntries.length !== defined(b).length) return false;
  return aEntries.every(([k, v]) => Object.hasOwn(bRecord, k) && sameJSONValue(v, bRecord[k]));
}
