// The flags shared by create/start/edit/clone/rename/restart, translated into one yq expression
// the way Lima translates them (same order, same expressions, same errors).
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { logger } from "../log/logger.js";
import { LimaError } from "../util/errors.js";
import { q, vList } from "../util/goquote.js";
import { boolFlag } from "./flags.js";

export interface EditFlagValues {
  cpus?: string;
  dns?: string[];
  memory?: string;
  mount?: string[];
  mountOnly?: string[];
  mountNone?: boolean;
  mountType?: string;
  vmType?: string;
  mountInotify?: boolean;
  mountWritable?: boolean;
  network?: string[];
  nestedVirt?: boolean;
  rosetta?: boolean;
  set?: string[];
  param?: string[];
  video?: boolean;
  audioDevice?: string;
  audioInterface?: string;
  sshPort?: string;
  imageVariant?: string;
  archVariant?: string;
  arch?: string;
  containerd?: string;
  disk?: string;
  plain?: boolean;
  portForward?: string[];
  shell?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const collectCSV = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(",").filter((v) => v !== "")];

export function registerEditFlags(cmd: Command, usagePrefix = ""): void {
  const p = usagePrefix;
  cmd.option("--cpus <int>", `${p}Number of CPUs`);
  cmd.option("--dns <ip>", `${p}Specify custom DNS (disable host resolver)`, collectCSV);
  cmd.option("--memory <float>", `${p}Memory in GiB`);
  cmd.option("--mount <path>", `${p}Directories to mount, suffix ':w' for writable (Do not specify directories that overlap with the existing mounts)`, collectCSV);
  cmd.option("--mount-only <path>", `${p}Similar to --mount, but overrides the existing mounts`, collectCSV);
  boolFlag(cmd, "--mount-none", `${p}Remove all mounts`);
  cmd.option("--mount-type <type>", `${p}Mount type (reverse-sshfs, 9p, virtiofs)`);
  cmd.option("--vm-type <type>", `${p}Virtual machine type (qemu, vz, wsl2)`);
  boolFlag(cmd, "--mount-inotify", `${p}Enable inotify for mounts`);
  boolFlag(cmd, "--mount-writable", `${p}Make all mounts writable`);
  cmd.option("--network <name>", `${p}Additional networks, e.g., "vzNAT" or "lima:shared" to assign vmnet IP`, collectCSV);
  boolFlag(cmd, "--nested-virt", `${p}Enable nested virtualization`);
  boolFlag(cmd, "--rosetta", `${p}Enable Rosetta (for vz instances)`);
  cmd.option("--set <expr>", `${p}Modify the template inplace, using yq syntax. Can be passed multiple times.`, collect);
  cmd.option("--param <NAME=VALUE>", `${p}Set a template parameter (NAME=VALUE). Can be passed multiple times.`, collect);
  boolFlag(cmd, "--video", `${p}Enable video output (has negative performance impact for QEMU)`);
  cmd.option("--ssh-port <port>", `${p}SSH port (0 for random)`);
  cmd.option("--disk <float>", `${p}Disk size in GiB`);
  cmd.option("--port-forward <HOST:GUEST>", `${p}Port forwards (host:guest), e.g., '8080:80' or '9090:9090,static=true' for static port-forwards`, collect);
  cmd.option("--shell <path>", `${p}Default shell (e.g., /bin/zsh)`);
}

/** Flags that only make sense for a new instance (create/start). */
export function registerCreateFlags(cmd: Command, usagePrefix = ""): void {
  const p = usagePrefix;
  cmd.option("--arch <arch>", `${p}Machine architecture (x86_64, aarch64, riscv64, armv7l, s390x, ppc64le)`);
  cmd.option("--image-variant <variant>", `${p}Image variant (e.g., server, minimal)`);
  cmd.option("--arch-variant <variant>", `${p}Architecture variant (e.g., v3)`);
  cmd.option("--containerd <mode>", `${p}containerd mode (user, system, user+system, none)`);
  boolFlag(cmd, "--plain", `${p}Plain mode. Disables mounts, port forwarding, containerd, etc.`);
  cmd.option("--audio-device <device>", `${p}Audio device (experimental)`);
  cmd.option("--audio-interface <interface>", `${p}Audio interface (experimental)`);
}

const json = (v: unknown): string => JSON.stringify(v);

/** Go's strconv.FormatFloat(f, 'f', -1, 32): the shortest decimal of a float32. */
function float32String(v: number): string {
  const f = Math.fround(v);
  for (let digits = 1; digits <= 9; digits++) {
    const s = Number(f.toPrecision(digits));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}

function parseFloatFlag(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new LimaError(`invalid argument ${json(value)} for "--${name}" flag: strconv.ParseFloat: parsing ${json(value)}: invalid syntax`);
  return n;
}

function parseIntFlag(name: string, value: string): number {
  if (!/^[-+]?\d+$/.test(value)) throw new LimaError(`invalid argument ${json(value)} for "--${name}" flag: strconv.ParseInt: parsing ${json(value)}: invalid syntax`);
  return Number(value);
}

function expandHome(p: string): string {
  if (p === "~") return os.homedir();
  if (p.startsWith("~/")) return path.join(os.homedir(), p.slice(2));
  return path.resolve(p);
}

function mountItems(specs: readonly string[]): string[] {
  return specs.map((spec) => {
    const writable = spec.endsWith(":w");
    const location = expandHome(writable ? spec.slice(0, -2) : spec);
    return `{"location": ${json(location)}, "mountPoint": ${json(location)}, "writable": ${writable}}`;
  });
}

function networkItem(name: string): string {
  if (name === "vzNAT") return `{"vzNAT": true}`;
  if (name.startsWith("lima:")) return `{"lima": ${json(name.slice(5))}}`;
  throw new LimaError(`network name must be \`vzNAT\` or \`lima:*\`, got ${q(name)}`);
}

function containerdExpr(mode: string): string {
  switch (mode) {
    case "user":
      return ".containerd.user = true | .containerd.system = false";
    case "system":
      return ".containerd.user = false | .containerd.system = true";
    case "user+system":
    case "system+user":
      return ".containerd.user = true | .containerd.system = true";
    case "none":
      return ".containerd.user = false | .containerd.system = false";
    default:
      throw new LimaError(`expected one of [\`user\`, \`system\`, \`user+system\`, \`none\`], got ${q(mode)}`);
  }
}

function parseBool(v: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return undefined;
}

function portForwardItem(spec: string): string {
  const parts = spec.split(",").map((s) => s.trim());
  if (parts.length > 2) throw new LimaError(`invalid port forward format ${q(spec)}, expected HOST:GUEST or HOST:GUEST,static=true`);
  const ports = (parts[0] ?? "").split(":").map((s) => s.trim());
  if (ports.length !== 2) throw new LimaError(`invalid port forward format ${q(spec)}, expected HOST:GUEST`);
  let isStatic = false;
  if (parts.length === 2) {
    const param = parts[1] ?? "";
    if (!param.startsWith("static=")) throw new LimaError(`invalid parameter ${q(param)}, expected \`static=\` followed by a boolean value`);
    const value = param.slice("static=".length);
    const b = parseBool(value);
    if (b === undefined) throw new LimaError(`invalid value for static parameter: ${q(value)}`);
    isStatic = b;
  }
  return `{"guestPort": ${json(ports[1])}, "hostPort": ${json(ports[0])}, "static": ${isStatic}}`;
}

export interface EditFlagContext {
  /** True when editing an existing instance: create-only flags are skipped with a warning. */
  existingInstance: boolean;
  /** `param` keys declared by the template, to check `--param`. */
  templateParams?: readonly string[];
}

type Step = [name: string, value: unknown, toExpr: () => string | undefined, newOnly?: boolean];

/** One yq expression for the changed flags, `|`-joined in Lima's flag order; "" when none. */
export function yqExpressionFromFlags(f: EditFlagValues, ctx: EditFlagContext): string {
  if (f.mountNone && f.mount) throw new LimaError("flag `--mount-none` conflicts with `mount`");
  if (f.mountNone && f.mountOnly) throw new LimaError("flag `--mount-none` conflicts with `mount-only`");
  if (f.mount && f.mountOnly) throw new LimaError("flag `--mount` conflicts with `--mount-only`");
  const steps: Step[] = [
    ["cpus", f.cpus, () => {
      const n = parseIntFlag("cpus", f.cpus ?? "");
      if (n < 0) throw new LimaError("invalid value for number of cpus, must be >= 0");
      return `.cpus = ${n}`;
    }],
    ["dns", f.dns, () => {
      const ips = f.dns ?? [];
      logger.warn(`Disabling HostResolver, as custom DNS addresses (${vList(ips)}) are specified`);
      return `.dns += [${ips.map(json).join(",")}] | .dns |= unique | .hostResolver.enabled=false`;
    }],
    ["memory", f.memory, () => `.memory = "${float32String(parseFloatFlag("memory", f.memory ?? ""))}GiB"`],
    ["mount", f.mount, () => `.mounts = [${mountItems([...(f.mount ?? [])].reverse()).join(",")}] + .mounts`],
    ["mount-only", f.mountOnly, () => `.mounts = [${mountItems(f.mountOnly ?? []).join(",")}]`],
    ["mount-none", f.mountNone, () => (f.mountNone ? ".mounts = null" : undefined)],
    ["mount-type", f.mountType, () => `.mountType = ${json(f.mountType)}`],
    ["vm-type", f.vmType, () => `.vmType = ${json(f.vmType)}`],
    ["mount-inotify", f.mountInotify, () => {
      logger.warn("`--mount-inotify` is experimental");
      return `.mountInotify = ${f.mountInotify}`;
    }],
    ["mount-writable", f.mountWritable, () => `.mounts[].writable = ${f.mountWritable}`],
    ["network", f.network, () => `.networks += [${(f.network ?? []).map(networkItem).join(",")}] | .networks |= unique_by(.lima)`],
    ["nested-virt", f.nestedVirt, () => `.nestedVirtualization = ${f.nestedVirt}`],
    ["rosetta", f.rosetta, () => `.vmOpts.vz.rosetta.enabled = ${f.rosetta} | .vmOpts.vz.rosetta.binfmt = ${f.rosetta}`],
    ["set", f.set, () => (f.set ?? []).join(" | ") || undefined],
    ["param", f.param, () => (f.param ?? []).map((p) => paramExpr(p, ctx)).join(" | ") || undefined],
    ["video", f.video, () => `.video.display = ${json(f.video ? "default" : "none")}`],
    ["audio-device", f.audioDevice, () => {
      logger.warn("`--audio-device` is experimental");
      return `.audio.device = ${json(f.audioDevice)}`;
    }],
    ["audio-interface", f.audioInterface, () => {
      logger.warn("`--audio-interface` is experimental");
      return `.audio.interface = ${json(f.audioInterface)}`;
    }],
    ["ssh-port", f.sshPort, () => {
      const n = parseIntFlag("ssh-port", f.sshPort ?? "");
      if (n < 0 || n > 65535) throw new LimaError(`invalid argument ${json(f.sshPort)} for "--ssh-port" flag: strconv.ParseUint: parsing ${json(f.sshPort)}: value out of range`);
      return `.ssh.localPort = ${n}`;
    }],
    ["image-variant", f.imageVariant, () => {
      if (!f.imageVariant) throw new LimaError("`--image-variant` must not be empty");
      return `.images = [.images[] | select(.variant == ${json(f.imageVariant)})]`;
    }, true],
    ["arch-variant", f.archVariant, () => `.images = [.images[] | select(.archVariant == ${json(f.archVariant)})]`, true],
    ["arch", f.arch, () => `.arch = ${json(f.arch)}`, true],
    ["containerd", f.containerd, () => containerdExpr(f.containerd ?? ""), true],
    ["disk", f.disk, () => `.disk= "${float32String(parseFloatFlag("disk", f.disk ?? ""))}GiB"`],
    ["plain", f.plain, () => `.plain = ${f.plain}`, true],
    ["port-forward", f.portForward, () => `.portForwards += [${(f.portForward ?? []).map(portForwardItem).join(",")}]`],
    ["shell", f.shell, () => `.user.shell = ${json(f.shell)}`],
  ];
  const exprs: string[] = [];
  for (const [name, value, toExpr, newOnly] of steps) {
    if (value === undefined) continue;
    if (newOnly && ctx.existingInstance) {
      logger.warn(`\`--${name}\` is not applicable to an existing instance (Hint: create a new instance with \`limactl create --${name}=${String(value)} --name=NAME\`)`);
      continue;
    }
    let expr: string | undefined;
    try {
      expr = toExpr();
    } catch (err) {
      throw new LimaError(`error while processing flag ${q(name)}: ${(err as Error).message}`);
    }
    if (expr) exprs.push(expr);
  }
  return exprs.join(" | ");
}

function paramExpr(spec: string, ctx: EditFlagContext): string {
  const eq = spec.indexOf("=");
  if (eq < 0) throw new LimaError(`invalid parameter ${q(spec)}, expected NAME=VALUE`);
  const name = spec.slice(0, eq);
  const value = spec.slice(eq + 1);
  if (ctx.templateParams && !ctx.templateParams.includes(name)) throw new LimaError(`template does not define param ${q(name)}`);
  return `.param[${json(name)}] = ${json(value)}`;
}


const EDIT_FLAG_KEYS: readonly (keyof EditFlagValues)[] = [
  "cpus", "dns", "memory", "mount", "mountOnly", "mountNone", "mountType", "vmType", "mountInotify", "mountWritable",
  "network", "nestedVirt", "rosetta", "set", "param", "video", "audioDevice", "audioInterface", "sshPort",
  "imageVariant", "archVariant", "arch", "containerd", "disk", "plain", "portForward", "shell",
];

/** Picks the edit flags out of a command's parsed options. */
export function editFlagValues(opts: Record<string, unknown>): EditFlagValues {
  const out: Record<string, unknown> = {};
  for (const key of EDIT_FLAG_KEYS) if (opts[key] !== undefined) out[key] = opts[key];
  return out as EditFlagValues;
}
