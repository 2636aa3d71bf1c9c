// Reading instances from $LIMA_HOME: which exist, and what state each is in (Lima's store.Inspect).
import { type Dirent, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hostArch, hostContext, hostOS } from "../config/host.js";
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

const configFileTexts = new Map<string, string | null>();

/** `_config/<name>` of LIMA_HOME, read once per process; null when absent. */
function configFileText(home: string, name: string): string | null {
  const file = path.join(home, filenames.ConfigDir, name);
  let text = configFileTexts.get(file);
  if (text !== undefined) return text;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
    text = null;
  }
  configFileTexts.set(file, text);
  return text;
}

/**
 * Loads `$INST/lima.yaml` with defaults filled; throws InstanceNotFoundError when missing.
 * The filled result is cached beside it (configcache.ts); the YAML loader is imported only on a miss.
 */
export async function loadInstanceConfig(name: string): Promise<LimaYAML> {
  const dir = instanceDir(name);
  const file = path.join(dir, filenames.LimaYAML);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new InstanceNotFoundError(name);
    throw err;
  }
  const home = limaHome();
  const context = hostContext(file, home);
  const key =
    BUILD_ID === undefined
      ? undefined
      : cacheKey({ build: BUILD_ID, limaYAML: text, defaultYAML: configFileText(home, filenames.Default), overrideYAML: configFileText(home, filenames.Override), context });
  const cached = key === undefined ? undefined : readCachedConfig(dir, key);
  if (cached) {
    for (const warning of cached.warnings) logger.warn(warning);
    return cached.config;
  }
  const { loadYAML } = await import("../config/load.js");
  const loaded = loadYAML(text, file, { warn: false, limaHome: home, context });
  if (key !== undefined) writeCachedConfig(dir, key, { config: loaded.config, warnings: loaded.warnings });
  return loaded.config;
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
    const text = readFileIfExists(path.join(dir, filenames.SSHConfig)) ?? "";
    const m = /^\s*Port\s+(\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Inspects one instance: config, pid files, host agent, status, message. */
export async function inspect(name: string): Promise<Instance> {
  const dir = instanceDir(name);
  const config = await loadInstanceConfig(name);
  const errors: string[] = [];
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
    protected: existsSync(path.join(dir, filenames.Protected)),
    limaVersion: readLimaVersion(dir) ?? "",
    param: config.param,
  };
  try {
    inst.hostAgentPID = readPidFile(path.join(dir, filenames.HostAgentPID));
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
  if (!inst.sshLocalPort) inst.sshLocalPort = sshPortFromConfig(dir);
  try {
    inst.driverPID = readPidFile(path.join(dir, filenames.pidFile(inst.vmType)));
  } catch (err) {
    errors.push(errorMessage(err));
  }
  inst.status = computeStatus(inst, errors);
  await renderMessage(inst, config, errors);
  if (errors.length > 0) inst.errors = errors;
  return inst;
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
