// Reading instances from $LIMA_HOME: which exist, and what state each is in (Lima's store.Inspect).
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hostArch, hostContext, hostOS, INSTANCE_MARKERS, instanceVersionOf } from "../config/host.js";
import { parseSize } from "../config/size.js";
import type { LimaYAML } from "../config/types.js";
import { hostnameOf } from "../identifiers/validate.js";
import { logger } from "../log/logger.js";
import { errorMessage, isErrno, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { readFileIfExists } from "../util/fsutil.js";
import { BUILD_ID, cacheKey, readCachedConfig, writeCachedConfig } from "./configcache.js";
import { instanceDir, limaHome } from "./dirnames.js";
import * as filenames from "./filenames.js";
import type { Instance, Status } from "./instance.js";
import { readPidFile } from "./pidfile.js";
import { internalDriverDisabled } from "../driver/registry.js";

/** Instance names: non-hidden, non-underscore directories of $LIMA_HOME, sorted bytewise. */
export function instanceNames(): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(limaHome(), { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  return entries
    .filter((e) => !e.name.startsWith("_") && !e.name.startsWith("."))
    .filter((e) => {
      if (e.isDirectory()) return true;
      if (!e.isSymbolicLink()) return false;
      try {
        return statSync(path.join(limaHome(), e.name)).isDirectory();
      } catch {
        return false;
      }
    })
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export class InstanceNotFoundError extends LimaError {
  constructor(readonly instanceName: string) {
    super(`instance ${q(instanceName)} does not exist`);
  }
}

export function readLimaVersion(dir: string): string | undefined {
  try {
    return readFileSync(path.join(dir, filenames.LimaVersion), "utf8").trim();
  } catch {
    return undefined;
  }
}

interface ConfigFileTexts {
  home: string;
  defaultYAML: string | null;
  overrideYAML: string | null;
}

let configFileTexts: ConfigFileTexts | undefined;

/** `_config/default.yaml` and `override.yaml` of LIMA_HOME (null when absent), read once per process. */
function readConfigFileTexts(home: string): ConfigFileTexts {
  if (configFileTexts?.home === home) return configFileTexts;
  const read = (name: string) => readFileIfExists(path.join(home, filenames.ConfigDir, name)) ?? null;
  configFileTexts = { home, defaultYAML: read(filenames.Default), overrideYAML: read(filenames.Override) };
  return configFileTexts;
}

/**
 * The names in an instance directory, read once: `inspect` answers its existence checks from
 * them, since `limactl ls` makes them for every instance and each check is a system call.
 */
function listInstanceDir(dir: string, name: string): ReadonlySet<string> {
  try {
    return new Set(readdirSync(dir));
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) throw new InstanceNotFoundError(name);
    throw err;
  }
}

/**
 * Loads `$INST/lima.yaml` with defaults filled; throws InstanceNotFoundError when missing.
 * The filled result is cached beside it (configcache.ts); the YAML loader is imported only on a miss.
 */
export async function loadInstanceConfig(name: string): Promise<LimaYAML> {
  const dir = instanceDir(name);
  return (await loadConfigIn(dir, name, listInstanceDir(dir, name))).config;
}

async function loadConfigIn(dir: string, name: string, entries: ReadonlySet<string>): Promise<{ config: LimaYAML; limaVersion?: string }> {
  const file = path.join(dir, filenames.LimaYAML);
  if (!entries.has(filenames.LimaYAML)) throw new InstanceNotFoundError(name);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new InstanceNotFoundError(name);
    throw err;
  }
  const limaVersion = entries.has(filenames.LimaVersion) ? readLimaVersion(dir) : undefined;
  const home = limaHome();
  const instanceVersion = instanceVersionOf(INSTANCE_MARKERS.some((m) => entries.has(m)), limaVersion);
  const context = hostContext(file, home, { instanceVersion });
  let key: string | undefined;
  if (BUILD_ID !== undefined) {
    const { defaultYAML, overrideYAML } = readConfigFileTexts(home);
    key = cacheKey({ build: BUILD_ID, limaYAML: text, defaultYAML, overrideYAML, context });
  }
  const cached = key === undefined ? undefined : readCachedConfig(dir, key);
  if (cached) {
    for (const warning of cached.warnings) logger.warn(warning);
    return { config: cached.config, limaVersion };
  }
  const { loadYAML } = await import("../config/load.js");
  const loaded = loadYAML(text, file, { warn: false, limaHome: home, context });
  if (key !== undefined) writeCachedConfig(dir, key, { config: loaded.config, warnings: loaded.warnings });
  return { config: loaded.config, limaVersion };
}

function sizeOrZero(value: string | undefined): number {
  if (!value) return 0;
  try {
    return parseSize(value);
  } catch {
    return 0;
  }
}

function sshPortFromConfig(dir: string): number {
  try {
    const text = readFileSync(path.join(dir, filenames.SSHConfig), "utf8");
    const m = /^\s*Port\s+(\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Inspects one instance: config, pid files, host agent, status, message. */
export async function inspect(name: string): Promise<Instance> {
  const dir = instanceDir(name);
  const entries = listInstanceDir(dir, name);
  const { config, limaVersion } = await loadConfigIn(dir, name, entries);
  const errors: string[] = [];
  const pidIn = (file: string): number => (entries.has(file) ? readPidFile(path.join(dir, file)) : 0);
  const inst: Instance = {
    name,
    hostname: hostnameOf(name),
    status: "",
    dir,
    vmType: config.vmType ?? "",
    arch: config.arch ?? "",
    cpus: config.cpus ?? 0,
    memory: sizeOrZero(config.memory),
    disk: sizeOrZero(config.disk),
    additionalDisks: config.additionalDisks,
    network: config.networks,
    sshLocalPort: config.ssh?.localPort ?? 0,
    sshConfigFile: path.join(dir, filenames.SSHConfig),
    hostAgentPID: 0,
    driverPID: 0,
    config,
    sshAddress: "127.0.0.1",
    protected: entries.has(filenames.Protected),
    limaVersion: limaVersion ?? "",
    param: config.param,
  };
  try {
    inst.hostAgentPID = pidIn(filenames.HostAgentPID);
  } catch (err) {
    errors.push(errorMessage(err));
  }
  if (inst.hostAgentPID) {
    try {
      // node:http is loaded only when a host agent runs: most instances in a long list are stopped.
      const { getHostAgentInfo } = await import("./hostagentclient.js");
      const info = await getHostAgentInfo(path.join(dir, filenames.HostAgentSock));
      if (info.sshLocalPort) inst.sshLocalPort = info.sshLocalPort;
      if (info.autoStartedIdentifier) inst.autoStartedIdentifier = info.autoStartedIdentifier;
    } catch (err) {
      errors.push(`failed to get Info from ${JSON.stringify(path.join(dir, filenames.HostAgentSock))}: ${errorMessage(err)}`);
    }
  }
  if (!inst.sshLocalPort && entries.has(filenames.SSHConfig)) inst.sshLocalPort = sshPortFromConfig(dir);
  const driverStatus = await inspectDriverStatus(inst, errors);
  if (driverStatus === "") {
    try {
      inst.driverPID = pidIn(filenames.pidFile(inst.vmType));
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  inst.status = errors.length > 0 ? "Broken" : driverStatus || computeStatus(inst, errors);
  await renderMessage(inst, config, errors);
  if (errors.length > 0) inst.errors = errors;
  return inst;
}

/**
 * The driver's own view of the status (Lima: driverutil.InspectStatus), or "" to decide from pid
 * files. The internal QEMU driver always leaves it to the pid files, so `limactl list` does not
 * load any driver code for it; other drivers are asked (an external one through its program).
 */
async function inspectDriverStatus(inst: Instance, errors: string[]): Promise<Status> {
  if (inst.vmType === "qemu" && !internalDriverDisabled("qemu")) return "";
  try {
    const { inspectStatus } = await import("../instance/driverutil.js");
    return (await inspectStatus(inst)) as Status;
  } catch (err) {
    errors.push(`failed to inspect status: ${errorMessage(err)}`);
    return "";
  }
}

function computeStatus(inst: Instance, errors: string[]): Status {
  if (errors.length > 0) return "Broken";
  const ha = (inst.hostAgentPID ?? 0) > 0;
  const drv = (inst.driverPID ?? 0) > 0;
  if (ha && drv) return "Running";
  if (!ha && !drv) return "Stopped";
  if (ha) errors.push("host agent is running but driver is not");
  else errors.push(`${inst.vmType} driver is running but host agent is not`);
  return "Broken";
}

async function renderMessage(inst: Instance, config: LimaYAML, errors: string[]): Promise<void> {
  if (!config.message) return;
  const { executeTemplate } = await import("../gotmpl/index.js");
  try {
    inst.message = executeTemplate(config.message, { ...formatData(inst), Param: config.param ?? {} }, { name: "message" });
  } catch (err) {
    errors.push(`message ${q(config.message)} is not a valid template: ${errorMessage(err)}`);
    inst.status = "Broken";
  }
}

/** The Go template data of `list --format` and `message`: instance fields by Go name plus host globals. */
export function formatData(inst: Instance): Record<string, unknown> {
  return {
    Name: inst.name,
    Hostname: inst.hostname,
    Status: inst.status,
    Dir: inst.dir,
    VMType: inst.vmType,
    Arch: inst.arch,
    CPUs: inst.cpus ?? 0,
    Memory: inst.memory ?? 0,
    Disk: inst.disk ?? 0,
    Message: inst.message ?? "",
    AdditionalDisks: inst.additionalDisks ?? [],
    Networks: inst.network ?? [],
    SSHLocalPort: inst.sshLocalPort ?? 0,
    SSHConfigFile: inst.sshConfigFile ?? "",
    HostAgentPID: inst.hostAgentPID ?? 0,
    DriverPID: inst.driverPID ?? 0,
    Errors: inst.errors ?? [],
    Config: inst.config,
    SSHAddress: inst.sshAddress ?? "",
    Protected: inst.protected,
    LimaVersion: inst.limaVersion,
    Param: inst.param ?? {},
    AutoStartedIdentifier: inst.autoStartedIdentifier ?? "",
    HostOS: hostOS(),
    HostArch: hostArch(),
    LimaHome: limaHome(),
    IdentityFile: path.join(limaHome(), filenames.ConfigDir, filenames.UserPrivateKey),
  };
}

/** `~` for paths below the home directory, as `limactl list` prints DIR. */
export function tildePath(p: string): string {
  const home = os.homedir();
  if (p === home) return "~";
  if (p.startsWith(`${home}/`)) return `~${p.slice(home.length)}`;
  return p;
}
