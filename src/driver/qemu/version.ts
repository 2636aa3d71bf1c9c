// The QEMU binary: lookup (`qemu-system-<qarch>`, `$QEMU_SYSTEM_<QARCH>`), `--version`,
// minimum versions and the `help` probes (spec: lima-runtime.md §6.5.1).
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { Arch } from "../../config/types.js";
import { logger } from "../../log/logger.js";
import { LimaError } from "../../util/errors.js";
import { goQuote, q } from "../../util/goquote.js";
import { type SemVer, compareSemVer } from "../../version.js";

const execFileAsync = promisify(execFile);

/** The arch string in QEMU's binary names. */
export function qemuArch(arch: Arch | string): string {
  if (arch === "armv7l") return "arm";
  if (arch === "ppc64le") return "ppc64";
  return arch;
}

/** The arch string of `share/qemu/edk2-<arch>-code.fd`. */
export function qemuEdk2Arch(arch: Arch | string): string {
  return arch === "riscv64" ? "riscv" : qemuArch(arch);
}

/** `-machine` family used for the `-cpu help` probe. */
export function qemuMachine(arch: Arch | string): string {
  return arch === "x86_64" ? "q35" : "virt";
}

export interface QemuExecutable {
  exe: string;
  /** Leading arguments from `$QEMU_SYSTEM_<QARCH>` (debugging only). */
  args: string[];
}

/** Splits a command line like go-shellwords: quotes and backslashes, no expansion. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new LimaError("invalid command line string");
  if (inWord) words.push(current);
  return words;
}

/** exec.LookPath: a name with a slash is used as is, otherwise searched in $PATH. */
export function lookPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = name.includes("/") ? [name] : (env.PATH ?? "").split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return path.resolve(candidate);
    } catch {
      // not here
    }
  }
  const reason = name.includes("/") ? "no such file or directory" : "executable file not found in $PATH";
  throw new LimaError(`exec: ${goQuote(name)}: ${reason}`);
}

export function qemuExecutable(arch: Arch | string, env: NodeJS.ProcessEnv = process.env): QemuExecutable {
  const envKey = `QEMU_SYSTEM_${qemuArch(arch).toUpperCase()}`;
  const envValue = env[envKey] ?? "";
  if (envValue === "") return { exe: lookPath(`qemu-system-${qemuArch(arch)}`, env), args: [] };
  let words: string[];
  try {
    words = shellWords(envValue);
  } catch (err) {
    throw new LimaError(`failed to parse ${envKey} value ${q(envValue)}: ${(err as Error).message}`);
  }
  const [base = "", ...args] = words;
  if (args.length > 0) logger.warn(`Specifying args ([${args.join(" ")}]) via $${envKey} is supported only for debugging!`);
  return { exe: lookPath(base, env), args };
}

const VERSION_LINE = /^QEMU emulator version (\d+)\.(\d+)\.(\d+)/;

/** Parses the first line of `qemu-system-* --version`. */
export function parseQemuVersion(output: string): SemVer {
  const m = VERSION_LINE.exec(output.split("\n")[0] ?? "");
  if (!m) throw new LimaError(`failed to parse ${output}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function formatSemVer(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** Strict `MAJOR.MINOR.PATCH` (with optional pre-release/build suffix), as coreos/go-semver accepts. */
export function parseSemVer(s: string): SemVer | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?$/.exec(s);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

export async function qemuVersion(exe: string): Promise<SemVer> {
  const { stdout } = await execFileAsync(exe, ["--version"]);
  return parseQemuVersion(stdout);
}

export interface MinimumVersions {
  hard: SemVer;
  soft: SemVer;
}

export function minimumQemuVersion(platform: NodeJS.Platform = process.platform, cpuArch: string = process.arch): MinimumVersions {
  const v = (s: string): SemVer => parseSemVer(s) as SemVer;
  if (platform === "darwin") return cpuArch === "arm64" ? { hard: v("8.2.1"), soft: v("8.2.1") } : { hard: v("7.0.0"), soft: v("8.2.1") };
  if (platform === "win32") return { hard: v("11.0.0"), soft: v("11.0.0") };
  return { hard: v("4.0.0"), soft: v("6.2.0") };
}

/**
 * Enforces the hard minimum and `vmOpts.qemu.minimumVersion` (errors) and returns the
 * soft-minimum warning, if any.
 */
export function checkQemuVersion(version: SemVer, minimums: MinimumVersions, templateMinimum?: string): string | undefined {
  const have = formatSemVer(version);
  if (compareSemVer(version, minimums.hard) < 0) throw new LimaError(`QEMU ${have} is too old, ${formatSemVer(minimums.hard)} or later required`);
  const required = templateMinimum === undefined ? undefined : parseSemVer(templateMinimum);
  if (templateMinimum !== undefined && (!required || compareSemVer(version, required) < 0)) {
    throw new LimaError(`QEMU ${have} is too old, template requires ${q(templateMinimum)} or later`);
  }
  if (compareSemVer(version, minimums.soft) < 0) return `QEMU ${have} is too old, ${formatSemVer(minimums.soft)} or later is recommended`;
  return undefined;
}

/** Outputs of the `help` probes; substring checks are all Lima does with them. */
export interface QemuFeatures {
  accelHelp: string;
  netdevHelp: string;
  machineHelp: string;
  cpuHelp: string;
}

async function helpOutput(exe: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await execFileAsync(exe, args);
  // older versions print help on stderr
  return stdout !== "" ? stdout : stderr;
}

async function optionalHelp(exe: string, args: string[]): Promise<string> {
  try {
    return await helpOutput(exe, args);
  } catch (err) {
    logger.warn(`failed to run [${[exe, ...args].join(" ")}]: ${(err as Error).message}`);
    return "";
  }
}

export async function inspectFeatures(exe: string, machine: string): Promise<QemuFeatures> {
  let accelHelp: string;
  try {
    accelHelp = await helpOutput(exe, ["-M", "none", "-accel", "help"]);
  } catch (err) {
    throw new LimaError(`failed to run [${exe} -M none -accel help]: ${(err as Error).message}`);
  }
  const [netdevHelp, machineHelp, cpuHelp] = await Promise.all([
    optionalHelp(exe, ["-M", "none", "-netdev", "help"]),
    optionalHelp(exe, ["-machine", "help"]),
    optionalHelp(exe, ["-cpu", "help", "-machine", machine]),
  ]);
  return { accelHelp, netdevHelp, machineHelp, cpuHelp };
}

/** Whether `-accel help` lists `accel` as a line of its own. */
export function accelSupported(accelHelp: string, accel: string): boolean {
  return accelHelp.split("\n").some((line) => line.trim() === accel);
}
