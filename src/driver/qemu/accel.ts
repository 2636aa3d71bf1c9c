// Accelerator and CPU model choice (spec: lima-runtime.md §6.5.2, §6.5.3). Unlike Lima, the
// presence of /dev/kvm is not trusted: KVM can accept a VM and still never run a guest past
// real mode. A short test boot decides once per machine; the verdict is cached.
//
// LIMA_QEMU_ACCEL=tcg|kvm skips the probe and forces the accelerator.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hostArch } from "../../config/host.js";
import type { Arch, LimaYAML } from "../../config/types.js";
import { logger } from "../../log/logger.js";
import { limaCacheDir } from "../../store/dirnames.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import type { SemVer } from "../../version.js";
import { PROBE_EXIT_PORT, PROBE_OK_MARKER, probeBootSector } from "./probeguest.js";
import { accelSupported, formatSemVer } from "./version.js";

export const ACCEL_ENV = "LIMA_QEMU_ACCEL";
export const ACCEL_CACHE_FILE = "qemu-accel.json";
export const PROBE_TIMEOUT_MS = 20_000;
const KVM_DEVICE = "/dev/kvm";

export function isNativeArch(arch: Arch | string): boolean {
  return arch === hostArch();
}

/** Lima's choice before any probing: the platform hypervisor for the native arch, else TCG. */
export function nominalAccel(arch: Arch | string, platform: NodeJS.Platform = process.platform, kvmPresent = existsSync(KVM_DEVICE)): string {
  if (!isNativeArch(arch)) return "tcg";
  switch (platform) {
    case "darwin":
      return hvSupported() ? "hvf" : "tcg";
    case "linux":
      return kvmPresent ? "kvm" : "tcg";
    case "netbsd":
      return "nvmm";
    case "win32":
      return "whpx";
    default:
      return "tcg";
  }
}

function hvSupported(): boolean {
  try {
    return execFileSync("sysctl", ["-n", "kern.hv_support"], { encoding: "utf8" }).trim() === "1";
  } catch {
    return false;
  }
}

/** Whether `-cpu host` is usable with a hardware accelerator on this host. */
function hasHostCPU(platform: NodeJS.Platform): boolean {
  return platform === "linux" || platform === "darwin";
}

/** Default `-cpu` for arch/accel (pure): `max`, or `host` with a hardware accelerator. */
export function defaultCPUModel(arch: Arch, accel: string, platform: NodeJS.Platform = process.platform, native = isNativeArch(arch)): string {
  let model = arch === "x86_64" && platform === "win32" ? "qemu64" : "max";
  if (native && accel !== "tcg" && hasHostCPU(platform)) model = "host";
  if (arch === "x86_64" && platform === "darwin") model += ",-avx512vl,-pdpe1gb";
  return model;
}

/** `vmOpts.qemu.cpuType[arch]` when set and non-empty, else the default. */
export function resolveCPUModel(config: LimaYAML, arch: Arch, accel: string, platform: NodeJS.Platform = process.platform): string {
  const override = config.vmOpts?.qemu?.cpuType?.[arch];
  return override ? override : defaultCPUModel(arch, accel, platform);
}

/** `-cpu help` does not list `max` everywhere, but every binary accepts it. */
export function checkCPUModel(cpuModel: string, cpuHelp: string, exe: string): void {
  if (cpuModel === "max") return;
  const base = cpuModel.split(",")[0] ?? "";
  if (!cpuHelp.includes(base)) throw new LimaError(`cpu ${q(cpuModel)} is not supported by ${exe}`);
}

export interface ProbeResult {
  ok: boolean;
  elapsedMs: number;
  /** Why the guest did not boot, in one line (undefined when it booted). */
  failure?: string;
  /** Human-readable record of the run (command, exit, stderr, serial output). */
  report: string;
}

export interface ProbeOptions {
  /** Scratch directory for the boot disk and serial log. */
  workDir: string;
  timeoutMs?: number;
}

/** The probe's QEMU arguments: the boot sector on IDE under SeaBIOS, COM1 to a file. */
export function probeArgs(accel: string, cpuModel: string, diskFile: string, serialLog: string): string[] {
  return [
    "-accel", accel, "-cpu", cpuModel, "-machine", "q35", "-m", "64",
    "-display", "none", "-nodefaults", "-no-reboot",
    "-drive", `file=${diskFile},format=raw,if=ide`,
    "-device", `isa-debug-exit,iobase=${PROBE_EXIT_PORT},iosize=0x04`,
    "-serial", `file:${serialLog}`,
  ];
}

/**
 * Boots the probe sector with `accel` and `cpuModel` (x86_64 only) and reports whether it
 * reached 64-bit mode and took a timer interrupt within the time limit.
 */
export async function probeAccel(exe: string, accel: string, cpuModel: string, options: ProbeOptions): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  await mkdir(options.workDir, { recursive: true });
  const disk = path.join(options.workDir, "probe.img");
  const serialLog = path.join(options.workDir, "probe-serial.log");
  // SeaBIOS cannot read a disk of a single sector
  const image = new Uint8Array(1024 * 1024);
  image.set(probeBootSector());
  await writeFile(disk, image);
  await writeFile(serialLog, "");
  const args = probeArgs(accel, cpuModel, disk, serialLog);
  const started = Date.now();
  const { status, stderr, timedOut } = await runBounded(exe, args, timeoutMs);
  const elapsedMs = Date.now() - started;
  const serial = await readFile(serialLog, "latin1").catch(() => "");
  const ok = serial.includes(PROBE_OK_MARKER);
  const report = [
    `command: ${[exe, ...args].join(" ")}`,
    `result: ${ok ? "booted" : "did not boot"} after ${elapsedMs}ms (${timedOut ? `killed after ${timeoutMs}ms` : `exit ${status}`})`,
    `stderr:\n${stderr}`,
    `serial (expecting ${JSON.stringify(PROBE_OK_MARKER)}):\n${serial}`,
  ].join("\n");
  if (ok) return { ok, elapsedMs, report };
  return { ok, elapsedMs, report, failure: probeFailure({ status, stderr, timedOut, timeoutMs }) };
}

/** How many of QEMU's stderr lines a one-line failure quotes. */
const FAILURE_STDERR_LINES = 2;

/**
 * Why the probe guest did not boot, in one line: QEMU's own complaint when it exited (e.g. KVM
 * refusing an MSR and QEMU aborting), the time limit only when the guest hung and was killed.
 */
export function probeFailure(run: BoundedRun & { timeoutMs: number }): string {
  if (run.timedOut) return `the test guest did not boot within ${Math.round(run.timeoutMs / 1000)}s`;
  const how = /^SIG[A-Z0-9]+$/.test(run.status) ? `was killed by ${run.status}` : `exited with status ${run.status}`;
  const lines = run.stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const errors = lines.filter((l) => /error/i.test(l));
  const quoted = (errors.length > 0 ? errors : lines).slice(0, FAILURE_STDERR_LINES).join("; ");
  return quoted === "" ? `QEMU ${how} before the test guest reached 64-bit mode` : `QEMU ${how}: ${quoted}`;
}

export interface BoundedRun {
  /** Exit code, or the signal name when QEMU was killed. */
  status: string;
  stderr: string;
  timedOut: boolean;
}

function runBounded(exe: string, args: string[], timeoutMs: number): Promise<BoundedRun> {
  return new Promise((resolve) => {
    const child = spawn(exe, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let timedOut = false;
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ status: err.message, stderr, timedOut });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: signal ?? String(code), stderr, timedOut });
    });
  });
}

export interface AccelVerdict {
  accel: string;
  probedAt: string;
  elapsedMs: number;
  details: string;
  /** Why KVM was rejected (verdicts cached by older versions have none). */
  failure?: string;
}

type AccelCache = Record<string, AccelVerdict>;

/** What a verdict depends on: the QEMU build, the host kernel, the host CPU and the guest CPU model. */
export function accelCacheKey(qemuVersion: SemVer, cpuModel: string): string {
  const hostCPU = os.cpus()[0]?.model ?? "unknown";
  return `qemu=${formatSemVer(qemuVersion)} kernel=${os.release()} cpu=${hostCPU} guest-cpu=${cpuModel}`;
}

async function readCache(file: string): Promise<AccelCache> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as AccelCache;
  } catch {
    return {};
  }
}

async function writeCache(file: string, key: string, verdict: AccelVerdict): Promise<void> {
  const cache = await readCache(file);
  cache[key] = verdict;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(cache, null, 2)}\n`);
  await rename(tmp, file);
}

export interface AccelChoiceInput {
  arch: Arch;
  exe: string;
  qemuVersion: SemVer;
  /** `-M none -accel help` output. */
  accelHelp: string;
  /** The `-cpu` model that would be used with the hardware accelerator. */
  hardwareCPUModel: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  cacheDir?: string;
  probeTimeoutMs?: number;
  /** Overrides the presence check of /dev/kvm (tests). */
  kvmPresent?: boolean;
}

export interface AccelChoice {
  accel: string;
  /** The one warning to show when falling back to TCG. */
  warning?: string;
  /** Where the verdict came from. */
  source: "env" | "nominal" | "cache" | "probe";
}

/** The one warning of a fallback to TCG, saying what the probe saw. */
export function fallbackWarning(verdict: Pick<AccelVerdict, "failure" | "details">): string {
  const what = verdict.failure ?? "the test guest did not boot";
  return `KVM is present (${KVM_DEVICE}) but cannot run guests here (${what}); using TCG software emulation (slow). Details: ${verdict.details}`;
}

function forcedAccel(value: string, accelHelp: string, exe: string): AccelChoice {
  if (value !== "tcg" && value !== "kvm" && value !== "hvf" && value !== "whpx" && value !== "nvmm") {
    throw new LimaError(`invalid ${ACCEL_ENV} value ${q(value)}: must be \`tcg\` or \`kvm\``);
  }
  if (!accelSupported(accelHelp, value)) throw new LimaError(`accelerator ${q(value)} is not supported by ${exe}`);
  return { accel: value, source: "env" };
}

/** Chooses the accelerator: env override, else nominal choice, with KVM verified by a cached probe. */
export async function chooseAccel(input: AccelChoiceInput): Promise<AccelChoice> {
  const env = input.env ?? process.env;
  const forced = env[ACCEL_ENV] ?? "";
  if (forced !== "") return forcedAccel(forced, input.accelHelp, input.exe);
  const nominal = nominalAccel(input.arch, input.platform, input.kvmPresent);
  if (nominal !== "kvm") {
    if (!accelSupported(input.accelHelp, nominal)) throw new LimaError(`accelerator ${q(nominal)} is not supported by ${input.exe}`);
    return { accel: nominal, source: "nominal" };
  }
  if (!accelSupported(input.accelHelp, "kvm")) {
    return { accel: "tcg", source: "nominal", warning: `KVM is present (${KVM_DEVICE}) but ${input.exe} does not support it; using TCG software emulation (slow)` };
  }
  // the probe guest is an x86 boot sector; other native arches keep Lima's choice
  if (input.arch !== "x86_64") return { accel: "kvm", source: "nominal" };
  const timeoutMs = input.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  const cacheDir = input.cacheDir ?? limaCacheDir();
  const cacheFile = path.join(cacheDir, ACCEL_CACHE_FILE);
  const key = accelCacheKey(input.qemuVersion, input.hardwareCPUModel);
  const cached = (await readCache(cacheFile))[key];
  const verdict = cached ?? (await probeAndRecord(input, cacheDir, cacheFile, key, timeoutMs));
  const choice: AccelChoice = { accel: verdict.accel, source: cached ? "cache" : "probe" };
  if (verdict.accel === "tcg") choice.warning = fallbackWarning(verdict);
  return choice;
}

async function probeAndRecord(input: AccelChoiceInput, cacheDir: string, cacheFile: string, key: string, timeoutMs: number): Promise<AccelVerdict> {
  logger.info(`Testing whether KVM can run guests on this host (once, up to ${Math.round(timeoutMs / 1000)}s)`);
  const probeDir = path.join(cacheDir, "qemu-accel-probe");
  await mkdir(probeDir, { recursive: true });
  // a private scratch directory: concurrent starts may probe at the same time
  const workDir = await mkdtemp(path.join(probeDir, "run-"));
  const result = await probeAccel(input.exe, "kvm", input.hardwareCPUModel, { workDir, timeoutMs }).finally(() => rm(workDir, { recursive: true, force: true }));
  const details = path.join(probeDir, `report-${createHash("sha256").update(key).digest("hex").slice(0, 12)}.txt`);
  await writeFile(details, `${result.report}\n`);
  logger.debug(`KVM probe: ${result.ok ? "ok" : "failed"} in ${result.elapsedMs}ms, see ${details}`);
  const verdict: AccelVerdict = { accel: result.ok ? "kvm" : "tcg", probedAt: new Date().toISOString(), elapsedMs: result.elapsedMs, details };
  if (result.failure) verdict.failure = result.failure;
  await writeCache(cacheFile, key, verdict);
  return verdict;
}
