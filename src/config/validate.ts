// Validation of a defaults-filled lima.yaml (Lima's limayaml.Validate): all errors are collected and
// joined with newlines; texts are Lima's, followed by ` (<file>:<line>)` when the field's line is known.
import { readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseDigest } from "../downloader/digest.js";
import { validateIdentifier } from "../identifiers/validate.js";
import { logger } from "../log/logger.js";
import { errorMessage, isErrno, LimaError } from "../util/errors.js";
import { goQuote, q, qList, vList } from "../util/goquote.js";
import { isOlderThan, VERSION } from "../version.js";
import { loadNetworksConfig, NETWORKS_CONFIG } from "../networks/config.js";
import { BUILTIN_VM_TYPES, semverProblem } from "./driverdefaults.js";
import { parseSize } from "./size.js";
import { ARCHES, OSES, type FileRef, type LimaYAML, type PortForward, type Provision } from "./types.js";

export interface ValidateOptions {
  /** Also log experimental-feature and non-existent-mount warnings (create, edit, validate). */
  warn: boolean;
  /** Line of a field path in the main file, e.g. `images[0].location`. */
  lineOf?: (path: string) => number | undefined;
  filePath?: string;
  /** Where `_config/networks.yaml` lives (for `networks[].lima`). */
  limaHome?: string;
  registeredDrivers: readonly string[];
  /** Go GOOS of the host; defaults to the real one. */
  hostOS?: string;
  /** Network name -> mode; defaults to `$LIMA_HOME/_config/networks.yaml` or Lima's built-in list. */
  networks?: Readonly<Record<string, string>>;
  /** Receives the warnings; defaults to logger.warn. */
  onWarning?: (message: string) => void;
}

const SYSTEM_MOUNT_POINTS = new Set(["/", "/bin", "/dev", "/etc", "/home", "/opt", "/sbin", "/tmp", "/usr", "/var"]);
const PROVISION_MODES = ["system", "user", "boot", "data", "dependency", "ansible", "yq"];
const WINDOWS_SHELLS = ["cmd.exe", "powershell.exe", "pwsh.exe"];
const VALID_PARAM_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const UNIX_PATH_MAX = process.platform === "linux" ? 108 : 104;
const DEFAULT_NETWORKS: Readonly<Record<string, string>> = { "user-v2": "user-v2", shared: "shared", bridged: "bridged", host: "host" };

class Collector {
  readonly errors: string[] = [];
  private readonly file: string;

  constructor(private readonly options: ValidateOptions) {
    this.file = options.filePath ? path.basename(options.filePath) : "";
  }

  /** Records `message`, citing the line of `field` (or of its nearest ancestor with a line). */
  add(message: string, field?: string): void {
    const line = field === undefined ? undefined : this.lineOf(field);
    this.errors.push(line === undefined || this.file === "" ? message : `${message} (${this.file}:${line})`);
  }

  private lineOf(field: string): number | undefined {
    const lookup = this.options.lineOf;
    if (!lookup) return undefined;
    for (let p = field; p !== ""; p = parentPath(p)) {
      const line = lookup(p);
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

function parentPath(p: string): string {
  const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
  return cut <= 0 ? "" : p.slice(0, cut);
}

/** Validates `y` (filled, vmType resolved); throws a LimaError listing every problem. */
export function validate(y: LimaYAML, options: ValidateOptions): void {
  const c = new Collector(options);
  const warn = options.onWarning ?? ((m: string) => logger.warn(m));
  const hostOS = options.hostOS ?? (process.platform === "win32" ? "windows" : process.platform);

  if (y.base !== undefined && (!Array.isArray(y.base) || y.base.length > 0)) c.add("field `base` must be empty for YAML validation", "base");
  validateVersion(y, c);
  validateVMType(y, c, options.registeredDrivers);
  validateOSAndArch(y, c);
  validateImages(y, c);
  if (!y.cpus) c.add("field `cpus` must be set", "cpus");
  validateSize(y.memory, "memory", c);
  validateSize(y.disk, "disk", c);
  (y.additionalDisks ?? []).forEach((disk, i) => {
    try {
      validateIdentifier(disk.name);
    } catch (err) {
      c.add(`field \`additionalDisks[${i}].name is invalid\`: ${errorMessage(err)}`, `additionalDisks[${i}]`);
    }
  });
  validateMounts(y, c, options.warn, warn);
  if (y.ssh?.localPort) validatePort("ssh.localPort", y.ssh.localPort, c);
  validateMountType(y, c);
  if (options.warn && hostOS !== "linux") {
    (y.mounts ?? []).forEach((m, i) => {
      if (m.virtiofs?.queueSize !== undefined) warn(`field mounts[${i}].virtiofs.queueSize is only supported on Linux`);
    });
  }
  const stop = validateProvision(y, c, warn);
  if (stop) throw new LimaError(c.errors.join("\n"));
  validateContainerd(y, c);
  validateProbes(y, c);
  (y.portForwards ?? []).forEach((rule, i) => validatePortForward(rule, `portForwards[${i}]`, c));
  validateCopyToHost(y, c);
  if (y.hostResolver?.enabled && (y.dns ?? []).length > 0) c.add("field `dns` must be empty when field `HostResolver.Enabled` is true", "dns");
  validateNetworks(y, c, hostOS, options);
  if (options.warn) warnExperimental(y, warn, hostOS);
  validateParams(y, c);
  validateUser(y, c, warn);
  if (y.tpm && !["x86_64", "aarch64", "armv7l", "riscv64"].includes(y.arch ?? "")) {
    c.add(`field \`tpm\` is not supported on architecture ${q(y.arch)}`, "tpm");
  }
  const audioInterface = y.audio?.interface;
  if (audioInterface !== undefined && audioInterface !== "" && audioInterface !== "hda" && audioInterface !== "virtio") {
    // Lima returns this one alone, discarding everything collected so far.
    throw new LimaError(`invalid audio.interface ${goQuote(audioInterface)}, must be "hda" or "virtio"`);
  }
  if (c.errors.length > 0) throw new LimaError(c.errors.join("\n"));
}

/** Lima's versionutil.Parse: strip `v`, the `git describe` suffix and `.m`, then semver. */
function parseVersionProblem(version: string): string | undefined {
  return semverProblem(version.replace(/^v/, "").split("-")[0]?.replace(/\.m$/, "") ?? "");
}

function validateVersion(y: LimaYAML, c: Collector): void {
  const minimum = y.minimumLimaVersion;
  if (minimum === undefined) return;
  const problem = parseVersionProblem(minimum);
  if (problem) c.add(`field \`minimumLimaVersion\` must be a semvar value, got ${q(minimum)}: ${problem}`, "minimumLimaVersion");
  // Lima compares against a strictly parsed minimum; one that does not parse (e.g. `v2.0.0`) always passes.
  if (semverProblem(minimum) === undefined && isOlderThan(VERSION, minimum)) {
    c.add(`template requires Lima version ${q(minimum)}; this is only ${q(VERSION)}`, "minimumLimaVersion");
  }
}

function validateVMType(y: LimaYAML, c: Collector, registered: readonly string[]): void {
  const vmType = y.vmType;
  if (vmType === undefined || BUILTIN_VM_TYPES.includes(vmType) || registered.includes(vmType)) return;
  c.add(`vmType ${q(vmType)} is not a registered driver; registered drivers: ${vList([...registered])}`, "vmType");
}

function validateOSAndArch(y: LimaYAML, c: Collector): void {
  const guestOS = y.os ?? "Linux";
  if (guestOS === "Windows") {
    if (y.vmType !== "qemu") c.add(`currently Windows guest is only supported on \`qemu\`; got ${q(y.vmType)}`, "vmType");
    if (y.arch !== "x86_64" && y.arch !== "aarch64") {
      c.add(`currently Windows guest is only supported on [\`x86_64\`, \`aarch64\`]; got ${q(y.arch)}`, "arch");
    }
  } else if (!(OSES as readonly string[]).includes(guestOS)) {
    c.add(`field \`os\` must be one of ${qList([...OSES])}; got ${q(guestOS)}`, "os");
  }
  if (!(ARCHES as readonly string[]).includes(y.arch ?? "")) c.add(archError(y.arch ?? ""), "arch");
  const shell = y.user?.shell;
  if (shell === undefined) return;
  if (guestOS === "Windows") {
    const base = shell.slice(Math.max(shell.lastIndexOf("/"), shell.lastIndexOf("\\")) + 1).toLowerCase();
    if (!WINDOWS_SHELLS.includes(base)) c.add(`field \`user.shell\` must be one of ${vList(WINDOWS_SHELLS)} for Windows guest, got ${q(shell)}`, "user.shell");
  } else if (!shell.startsWith("/")) {
    c.add(`field \`user.shell\` must be an absolute path, got ${q(shell)}`, "user.shell");
  }
}

function archError(arch: string): string {
  return `field \`arch\` must be one of ${vList([...ARCHES])}; got ${q(arch)}`;
}

function validateImages(y: LimaYAML, c: Collector): void {
  const images = y.images ?? [];
  if (images.length === 0) c.add("field `images` must be set", "images");
  images.forEach((image, i) => {
    const field = `images[${i}]`;
    validateFileObject(image, field, c);
    if (image.kernel) {
      validateFileObject(image.kernel, `${field}.kernel`, c);
      if (image.kernel.arch !== image.arch) {
        c.add(`images[${i}].kernel has unexpected architecture ${q(image.kernel.arch ?? "")}, must be ${q(image.arch ?? "")}`, `${field}.kernel.arch`);
      }
    }
    if (image.initrd) {
      validateFileObject(image.initrd, `${field}.initrd`, c);
      if (image.initrd.arch !== image.arch) {
        c.add(`images[${i}].initrd has unexpected architecture ${q(image.initrd.arch ?? "")}, must be ${q(image.arch ?? "")}`, `${field}.initrd.arch`);
      }
    }
  });
}

function validateFileObject(f: FileRef, field: string, c: Collector): void {
  if (!f.location.includes("://")) {
    const problem = expandProblem(f.location);
    if (problem) c.add(`field \`${field}.location\` refers to an invalid local file path: ${q(f.location)}: ${problem}`, `${field}.location`);
  }
  if (!(ARCHES as readonly string[]).includes(f.arch ?? "")) c.add(archError(f.arch ?? ""), `${field}.arch`);
  if (f.digest) {
    try {
      parseDigest(f.digest);
    } catch (err) {
      c.add(`field \`${field}.digest\` is invalid: ${f.digest}: ${errorMessage(err)}`, `${field}.digest`);
    }
  }
}

/** localpathutil.Expand's complaint, if any. */
function expandProblem(location: string): string | undefined {
  if (location === "") return "empty path";
  if (location.startsWith("~") && location !== "~" && !location.startsWith("~/")) return `unexpandable path ${q(location)}`;
  return undefined;
}

function expandPath(location: string): string {
  if (location === "~") return os.homedir();
  if (location.startsWith("~/")) return path.join(os.homedir(), location.slice(2));
  return path.resolve(location);
}

function validateSize(value: string | undefined, field: string, c: Collector): void {
  try {
    parseSize(value ?? "");
  } catch (err) {
    c.add(`field \`${field}\` has an invalid value: ${errorMessage(err)}`, field);
  }
}

function validateMounts(y: LimaYAML, c: Collector, warnEnabled: boolean, warn: (m: string) => void): void {
  (y.mounts ?? []).forEach((m, i) => {
    const field = `mounts[${i}]`;
    if (!path.isAbsolute(m.location) && !m.location.startsWith("~")) {
      c.add(`field \`${field}.location\` must be an absolute path, got ${q(m.location)}`, `${field}.location`);
    }
    const problem = expandProblem(m.location);
    if (problem) {
      c.add(`field \`${field}.location\` refers to an unexpandable path: ${q(m.location)}: ${problem}`, `${field}.location`);
    } else {
      checkMountLocation(expandPath(m.location), m.location, field, c, warnEnabled, warn);
    }
    const mountPoint = m.mountPoint ?? "";
    if (SYSTEM_MOUNT_POINTS.has(mountPoint)) {
      c.add(`field \`${field}.mountPoint\` must not be a system path such as /etc or /usr`, `${field}.mountPoint`);
    } else if (mountPoint === y.user?.home) {
      c.add(`field \`${field}.mountPoint\` is the reserved internal home directory ${q(mountPoint)}`, `${field}.mountPoint`);
    }
    if (mountPoint.startsWith("~")) c.add(`field \`${field}.mountPoint\` must not start with \`~\``, `${field}.mountPoint`);
    try {
      parseSize(m["9p"]?.msize ?? "");
    } catch (err) {
      c.add(`field \`msize\` has an invalid value: ${errorMessage(err)}`, `${field}.9p.msize`);
    }
  });
}

function checkMountLocation(loc: string, location: string, field: string, c: Collector, warnEnabled: boolean, warn: (m: string) => void): void {
  try {
    if (!statSync(loc).isDirectory()) c.add(`field \`${field}.location\` refers to a non-directory path: ${q(location)}: <nil>`, `${field}.location`);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) c.add(`field \`${field}.location\` refers to an inaccessible path: ${q(location)}: ${errorMessage(err)}`, `${field}.location`);
    if (warnEnabled) warn(`field \`${field}.location\` refers to a non-existent directory: ${q(location)}:`);
  }
}

function validatePort(field: string, port: number, c: Collector): void {
  if (port < 0) c.add(`field \`${field}\` must be > 0`, field);
  else if (port === 0) c.add(`field \`${field}\` must be set`, field);
  else if (port === 22) c.add(`field \`${field}\` must not be 22`, field);
  else if (port > 65535) c.add(`field \`${field}\` must be < 65536`, field);
}

function validateMountType(y: LimaYAML, c: Collector): void {
  const mountType = y.mountType;
  if (mountType === undefined) return;
  if (!["reverse-sshfs", "9p", "virtiofs", "wsl2"].includes(mountType)) {
    c.add(`field \`mountType\` must be \`reverse-sshfs\` or \`9p\` or \`virtiofs\`, or \`wsl2\`, got ${q(mountType)}`, "mountType");
  }
  if (y.mountTypesUnsupported?.includes(mountType)) {
    c.add(`field \`mountType\` must not be one of ${vList(y.mountTypesUnsupported)} (\`mountTypesUnsupported\`), got ${q(mountType)}`, "mountType");
  }
}

/** Returns true when Lima would stop validating (a data/yq provision without `path`). */
function validateProvision(y: LimaYAML, c: Collector, warn: (m: string) => void): boolean {
  const provisions = y.provision ?? [];
  for (const [i, p] of provisions.entries()) {
    const field = `provision[${i}]`;
    const mode = p.mode ?? "system";
    if (p.file !== undefined) {
      const file = typeof p.file === "string" ? { url: p.file } : p.file;
      if (file.url !== "") c.add(`field \`${field}.file.url\` must be empty during validation (script should already be embedded)`, `${field}.file`);
      if (file.digest !== undefined) c.add(`field \`${field}.file.digest\` support is not yet implemented`, `${field}.file`);
    }
    if (!PROVISION_MODES.includes(mode)) c.add(`field \`${field}.mode\` must one of ${PROVISION_MODES.map(q).join(", ").replace(/, ([^,]+)$/, ", or $1")}`, `${field}.mode`);
    if (mode !== "dependency" && p.skipDefaultDependencyResolution !== undefined) {
      c.add(`field \`${field}.mode\` cannot set skipDefaultDependencyResolution, only valid on scripts of type \`dependency\``, `${field}.skipDefaultDependencyResolution`);
    }
    if (y.os === "Windows" && ["ansible", "boot", "yq"].includes(mode)) c.add(`provision mode ${q(mode)} is not supported on Windows VM`, `${field}.mode`);
    if (mode === "data" || mode === "yq") {
      if (p.path === undefined) {
        c.add(`field \`${field}.path\` must not be empty when mode is ${q(mode)}`, field);
        return true;
      }
      validateFileProvision(p, mode, field, c);
    } else {
      validateScriptProvision(p, mode, field, c);
    }
    if (p.playbook) validatePlaybook(p, mode, field, c, warn);
    if (p.script?.includes("LIMA_CIDATA")) warn("provisioning scripts should not reference the LIMA_CIDATA variables");
  }
  return false;
}

function validateFileProvision(p: Provision, mode: string, field: string, c: Collector): void {
  if (!(p.path ?? "").startsWith("/")) c.add(`field \`${field}.path\` must be an absolute path`, `${field}.path`);
  if (mode === "data" && p.content === undefined) c.add(`field \`${field}.content\` must not be empty when mode is ${q(mode)}`, field);
  if (mode === "yq" && p.expression === undefined) c.add(`field \`${field}.expression\` must not be empty when mode is ${q(mode)}`, field);
  const permissions = p.permissions ?? "";
  if (!/^[+-]?[0-7]+$/.test(permissions)) {
    c.add(`field \`${field}.permissions\` must be an octal number: strconv.ParseInt: parsing ${goQuote(permissions)}: invalid syntax`, `${field}.permissions`);
  }
}

function validateScriptProvision(p: Provision, mode: string, field: string, c: Collector): void {
  if (!p.script && mode !== "ansible") c.add(`field \`${field}.script\` must not be empty`, field);
  const onlyFor: [keyof Provision, string][] = [
    ["content", "`data`"],
    ["overwrite", "`data`"],
    ["owner", "`data`"],
    ["path", "`data`, or `yq`"],
    ["permissions", "`data`, or `yq`"],
    ["format", "`yq`"],
  ];
  for (const [key, modes] of onlyFor) {
    if (p[key] !== undefined) c.add(`field \`${field}.${key}\` can only be set when mode is ${modes}`, `${field}.${key}`);
  }
}

function validatePlaybook(p: Provision, mode: string, field: string, c: Collector, warn: (m: string) => void): void {
  const playbook = p.playbook ?? "";
  if (mode !== "ansible") c.add(`field \`${field}.playbook can only be set when mode is \`ansible\``, `${field}.playbook`);
  if (p.script) c.add(`field \`${field}.script must be empty if playbook is set`, `${field}.script`);
  try {
    statSync(playbook);
  } catch (err) {
    c.add(`field \`${field}.playbook\` refers to an inaccessible path: ${q(playbook)}: ${goStatError(playbook, err)}`, `${field}.playbook`);
  }
  warn(`provision mode \`ansible\` is deprecated, use \`ansible-playbook ${q(playbook)}\` instead`);
}

/** Go's *PathError text for a failed stat. */
function goStatError(file: string, err: unknown): string {
  if (isErrno(err, "ENOENT")) return `stat ${file}: no such file or directory`;
  if (isErrno(err, "EACCES")) return `stat ${file}: permission denied`;
  return `stat ${file}: ${errorMessage(err)}`;
}

function validateContainerd(y: LimaYAML, c: Collector): void {
  if (!y.containerd?.user && !y.containerd?.system) return;
  const archives = y.containerd.archives ?? [];
  if (archives.length === 0) c.add("field `containerd.archives` must be provided", "containerd");
  archives.forEach((f, i) => validateFileObject(f, `containerd.archives[${i}]`, c));
}

function validateProbes(y: LimaYAML, c: Collector): void {
  (y.probes ?? []).forEach((p, i) => {
    const field = `probe[${i}]`;
    const linePath = `probes[${i}]`;
    if (p.file !== undefined) {
      const file = typeof p.file === "string" ? { url: p.file } : p.file;
      if (file.url !== "") c.add(`field \`${field}.file.url\` must be empty during validation (script should already be embedded)`, `${linePath}.file`);
      if (file.digest !== undefined) c.add(`field \`${field}.file.digest\` support is not yet implemented`, `${linePath}.file`);
    }
    if (p.script !== undefined && !p.script.startsWith("#!")) c.add(`field \`${field}.script\` must start with a '#!' line`, `${linePath}.script`);
    if (p.mode !== "readiness") c.add(`field \`${field}.mode\` can only be \`readiness\``, `${linePath}.mode`);
  });
}

function rangeOf(range: [number, number] | undefined): [number, number] {
  return range ?? [0, 0];
}

function validatePortForward(rule: PortForward, field: string, c: Collector): void {
  const guestRange = rangeOf(rule.guestPortRange);
  const hostRange = rangeOf(rule.hostPortRange);
  const guestSocket = rule.guestSocket ?? "";
  const hostSocket = rule.hostSocket ?? "";
  if (rule.guestIPMustBeZero && !isIPv4Zero(rule.guestIP ?? "")) {
    c.add(`field \`${field}.guestIPMustBeZero\` can only be true when field \`${field}.guestIP\` is 0.0.0.0`, `${field}.guestIPMustBeZero`);
  }
  for (const side of ["guest", "host"] as const) {
    const port = (side === "guest" ? rule.guestPort : rule.hostPort) ?? 0;
    if (port === 0) continue;
    const socket = side === "guest" ? guestSocket : hostSocket;
    if (socket !== "") c.add(`field \`${field}.${side}Port\` must be 0 when field \`${field}.${side}Socket\` is set`, `${field}.${side}Port`);
    if (port !== (side === "guest" ? guestRange : hostRange)[0]) {
      c.add(`field \`${field}.${side}Port\` must match field \`${field}.${side}PortRange[0]\``, `${field}.${side}Port`);
    }
    validatePort(`${field}.${side}Port`, port, c);
  }
  for (const j of [0, 1]) {
    validatePort(`${field}.guestPortRange[${j}]`, guestRange[j] ?? 0, c);
    if (hostSocket === "") validatePort(`${field}.hostPortRange[${j}]`, hostRange[j] ?? 0, c);
  }
  if (guestRange[0] > guestRange[1]) c.add(`field \`${field}.guestPortRange[1]\` must be greater than or equal to field \`${field}.guestPortRange[0]\``, `${field}.guestPortRange`);
  if (hostRange[0] > hostRange[1]) c.add(`field \`${field}.hostPortRange[1]\` must be greater than or equal to field \`${field}.hostPortRange[0]\``, `${field}.hostPortRange`);
  if (guestSocket !== "") {
    if (!guestSocket.startsWith("/")) c.add(`field \`${field}.guestSocket\` must be an absolute path, but is ${q(guestSocket)}`, `${field}.guestSocket`);
    if (hostSocket === "" && hostRange[1] - hostRange[0] > 0) c.add(`field \`${field}.guestSocket\` can only be mapped to a single port or socket. not a range`, `${field}.guestSocket`);
  }
  if (hostSocket !== "") {
    if (!path.isAbsolute(hostSocket)) c.add(`field \`${field}.hostSocket\` must be an absolute path, but is ${q(hostSocket)}`, `${field}.hostSocket`);
    if (guestSocket === "" && guestRange[1] - guestRange[0] > 0) c.add(`field \`${field}.hostSocket\` can only be mapped from a single port or socket. not a range`, `${field}.hostSocket`);
  } else if (guestRange[1] - guestRange[0] !== hostRange[1] - hostRange[0]) {
    c.add(`field \`${field}.hostPortRange\` must specify the same number of ports as field \`${field}.guestPortRange\``, `${field}.hostPortRange`);
  }
  if (Buffer.byteLength(hostSocket) >= UNIX_PATH_MAX) {
    c.add(`field \`${field}.hostSocket\` must be less than UNIX_PATH_MAX=${UNIX_PATH_MAX} characters, but is ${Buffer.byteLength(hostSocket)}`, `${field}.hostSocket`);
  }
  if (!["tcp", "udp", "any"].includes(rule.proto ?? "")) c.add(`field \`${field}.proto\` must be \`tcp\`, \`udp\`, or \`any\``, `${field}.proto`);
  if (rule.reverse && guestSocket === "") c.add(`field \`${field}.reverse\` must be false`, `${field}.reverse`);
  if (rule.reverse && hostSocket === "") c.add(`field \`${field}.reverse\` must be false`, `${field}.reverse`);
}

function isIPv4Zero(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::ffff:0.0.0.0";
}

function validateCopyToHost(y: LimaYAML, c: Collector): void {
  (y.copyToHost ?? []).forEach((rule, i) => {
    const field = `CopyToHost[${i}]`;
    if (rule.guest && !rule.guest.startsWith("/")) c.add(`field \`${field}.guest\` must be an absolute path, but is ${q(rule.guest)}`, `copyToHost[${i}].guest`);
    if (rule.host && !path.isAbsolute(rule.host)) c.add(`field \`${field}.host\` must be an absolute path, but is ${q(rule.host)}`, `copyToHost[${i}].host`);
  });
}

/** Network name -> mode from `$LIMA_HOME/_config/networks.yaml` (written from Lima's template when missing, as Lima does). */
export function loadNetworkModes(limaHome: string | undefined): Readonly<Record<string, string>> {
  if (!limaHome) return DEFAULT_NETWORKS;
  const cfg = loadNetworksConfig(path.join(limaHome, "_config", NETWORKS_CONFIG));
  return Object.fromEntries(Object.entries(cfg.networks).map(([name, nw]) => [name, nw.mode]));
}

function validateNetworks(y: LimaYAML, c: Collector, hostOS: string, options: ValidateOptions): void {
  const seen = new Map<string, number>();
  let modes: Readonly<Record<string, string>> | undefined = options.networks;
  for (const [i, nw] of (y.networks ?? []).entries()) {
    const field = `networks[${i}]`;
    const vzNAT = nw.vzNAT === true;
    if (nw.lima) {
      modes ??= loadNetworkModes(options.limaHome);
      const mode = modes[nw.lima];
      if (mode === undefined) {
        // Lima stops checking networks here.
        c.add(`network ${q(nw.lima)} is not defined`, `${field}.lima`);
        return;
      }
      if (mode !== "user-v2" && hostOS !== "darwin") c.add(`field \`${field}.lima\` is only supported on macOS right now`, `${field}.lima`);
      if (nw.socket) c.add(`field \`${field}.lima\` and field \`${field}.socket\` are mutually exclusive`, field);
      if (vzNAT) c.add(`field \`${field}.lima\` and field \`${field}.vzNAT\` are mutually exclusive`, field);
    } else if (nw.socket) {
      if (vzNAT) c.add(`field \`${field}.socket\` and field \`${field}.vzNAT\` are mutually exclusive`, field);
      checkSocket(nw.socket, field, c);
    } else if (!vzNAT) {
      c.add(`field \`${field}.lima\` or  field \`${field}.socket must be set`, field);
    }
    if (nw.macAddress) validateMAC(nw.macAddress, field, c);
    validateInterface(nw.interface ?? "", field, seen, c);
    seen.set(nw.interface ?? "", i);
  }
}

function checkSocket(socket: string, field: string, c: Collector): void {
  try {
    if (!statSync(socket).isSocket()) c.add(`field \`${field}.socket\` ${q(socket)} points to a non-socket file`, `${field}.socket`);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) c.add(goStatError(socket, err), `${field}.socket`);
  }
}

/** net.ParseMAC for the 6-byte forms (`:`/`-` separated pairs, `.` separated quads). */
function validateMAC(mac: string, field: string, c: Collector): void {
  const pairs = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2})*$/.test(mac) ? mac.split(/[:-]/).length : 0;
  const quads = /^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4})*$/.test(mac) ? mac.split(".").length * 2 : 0;
  const bytes = pairs || quads;
  if (![6, 8, 20].includes(bytes)) {
    c.add(`field \`vmnet.mac\` invalid: address ${mac}: invalid MAC address`, `${field}.macAddress`);
    c.add(`field \`${field}.macAddress\` must be a 48 bit (6 bytes) MAC address; actual length of ${q(mac)} is 0 bytes`, `${field}.macAddress`);
  } else if (bytes !== 6) {
    c.add(`field \`${field}.macAddress\` must be a 48 bit (6 bytes) MAC address; actual length of ${q(mac)} is ${bytes} bytes`, `${field}.macAddress`);
  }
}

function validateInterface(name: string, field: string, seen: Map<string, number>, c: Collector): void {
  const bytes = Buffer.byteLength(name);
  if (bytes >= 16) c.add(`field \`${field}.interface\` must be less than 16 bytes, but is ${bytes} bytes: ${q(name)}`, `${field}.interface`);
  if (/[ \t\n/]/.test(name)) c.add(`field \`${field}.interface\` must not contain whitespace or slashes`, `${field}.interface`);
  if (name === "eth0") c.add(`field \`${field}.interface\` must not be set to \`eth0\` because it is reserved for slirp`, `${field}.interface`);
  const previous = seen.get(name);
  if (previous !== undefined) {
    c.add(`field \`${field}.interface\` value ${q(name)} has already been used by field \`networks[${previous}].interface\``, `${field}.interface`);
  }
}

function validateParams(y: LimaYAML, c: Collector): void {
  for (const [key, value] of Object.entries(y.param ?? {})) {
    if (!VALID_PARAM_NAME.test(key)) c.add(`param ${q(key)} name does not match regex ${q(VALID_PARAM_NAME.source)}`, `param.${key}`);
    for (const ch of value) {
      if (ch !== "\t" && ch !== " " && !isPrintable(ch)) c.add(`param ${q(key)} value contains unprintable character ${goRuneQuote(ch)}`, `param.${key}`);
    }
  }
}

/** Approximates Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
function isPrintable(ch: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch);
}

/** Go `%#q` of a rune: backquoted when printable, else a single-quoted escape. */
function goRuneQuote(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const escapes: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\f": "\\f", "\b": "\\b", "\x07": "\\a" };
  const escaped = escapes[ch] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
  return `'${escaped}'`;
}

function validateUser(y: LimaYAML, c: Collector, warn: (m: string) => void): void {
  const sudo = y.user?.passwordlessSudo;
  if (y.os === "Darwin" && sudo === true) c.add("`user.passwordlessSudo: true` is not supported on macOS guests", "user.passwordlessSudo");
  if (y.vmType === "wsl2" && sudo === false) c.add("`user.passwordlessSudo: false` is not supported on WSL2 guest", "user.passwordlessSudo");
  if (sudo === false && y.os !== "Darwin" && y.plain !== true) c.add("`user.passwordlessSudo: false` requires `plain: true`", "user.passwordlessSudo");
  if (y.plain !== true) return;
  (y.portForwards ?? []).forEach((rule, i) => {
    const [g0, g1] = rangeOf(rule.guestPortRange);
    const [h0, h1] = rangeOf(rule.hostPortRange);
    const guestRange = g1 - g0 + 1;
    const hostRange = h1 - h0 + 1;
    if (guestRange > 10 || hostRange > 10) {
      warn(`[plain mode] portForwards[${i}] covers a range of more than 10 ports (guest: ${guestRange}, host: ${hostRange}). All ports will be forwarded unconditionally, which may be inefficient.`);
    }
  });
}

function warnExperimental(y: LimaYAML, warn: (m: string) => void, hostOS: string): void {
  if (y.os === "Windows") warn("`os: Windows` is experimental");
  if (y.mountType === "virtiofs" && hostOS === "linux") warn("`mountType: virtiofs` on Linux is experimental");
  if (["riscv64", "armv7l", "s390x", "ppc64le"].includes(y.arch ?? "")) warn(`\`arch: ${y.arch} \` is experimental`);
  if (y.video?.display?.includes("vnc")) warn("`video.display: vnc` is experimental");
  if (y.audio?.device) {
    warn("`audio.device` is experimental");
    if (y.audio.interface) warn("`audio.interface` is experimental");
  }
  if (y.mountInotify) warn("`mountInotify` is experimental");
  if (y.user?.passwordlessSudo === false && y.os !== "Darwin") warn("`user.passwordlessSudo: false` is experimental");
  if (y.user?.passwordlessSudo === false && Object.keys(y.param ?? {}).length > 0) {
    warn("`param` still relies on sudo internally, it may not work as expected when `user.passwordlessSudo: false` is set");
  }
}

/**
 * Every `param` key of the main file must be referenced as `{{.Param.K}}` or `PARAM_K` somewhere it can
 * take effect (checked before defaults are filled).
 */
export function validateParamIsUsed(y: LimaYAML): void {
  for (const key of Object.keys(y.param ?? {})) {
    if (key === "internal_netplanOptional" || paramIsUsed(y, key)) continue;
    throw new LimaError(`field \`param\` key ${q(key)} is not used in any provision, probe, copyToHost, or portForward`);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function paramIsUsed(y: LimaYAML, key: string): boolean {
  // Lima builds the regexp from the raw key; keys are validated as identifiers later anyway.
  const re = new RegExp(`\\{\\{[^}]*\\.Param\\.${escapeRegExp(key)}[^}]*\\}\\}|\\bPARAM_${escapeRegExp(key)}\\b`);
  const texts: (string | undefined)[] = [];
  for (const p of y.provision ?? []) {
    texts.push(p.script, p.content, p.expression, p.owner, p.path, p.permissions);
    if (p.playbook) texts.push(readFileSync(p.playbook, "utf8"));
  }
  for (const p of y.probes ?? []) texts.push(p.script);
  for (const r of y.copyToHost ?? []) texts.push(r.guest, r.host);
  for (const r of y.portForwards ?? []) texts.push(r.guestSocket, r.hostSocket);
  for (const m of y.mounts ?? []) texts.push(m.location, m.mountPoint);
  return texts.some((text) => text !== undefined && re.test(text));
}
