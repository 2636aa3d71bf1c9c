// The version we report. Instances record it in `lima-version`; defaults depend on it
// (>= 2.1.0: `.guest` homes and the `disk` layout; >= 2.0.0: no 60022 for `default`).
export const VERSION = "2.2.0";
export const VERSION_WITH_V = `v${VERSION}`;

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

/** Parses `v1.2.3`, `1.2.3-45-gabc`, `1.2.3.m`; undefined when unparsable. */
export function parseLimaVersion(raw: string): SemVer | undefined {
  let s = raw.trim().replace(/^v/, "");
  s = s.split("-")[0] ?? "";
  s = s.replace(/\.m$/, "");
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareSemVer(a: SemVer, b: SemVer): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * Whether an instance created by `instanceVersion` is older than `ref`.
 * A missing file (undefined) means "older than anything"; an unparsable one counts as newest.
 */
export function isOlderThan(instanceVersion: string | undefined, ref: string): boolean {
  if (instanceVersion === undefined) return true;
  const v = parseLimaVersion(instanceVersion);
  const r = parseLimaVersion(ref);
  if (!v || !r) return false;
  return compareSemVer(v, r) < 0;
}
