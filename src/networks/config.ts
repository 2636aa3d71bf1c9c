// `$LIMA_HOME/_config/networks.yaml` (spec: lima-cli-config.md §2.17, lima-runtime.md §1.3): written
// from Lima's template the first time anything needs it, then read as Lima reads it (a `user-v2`
// network is always there, even when the file lost it).
import { accessSync, constants, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYAML } from "yaml";
import { limaConfigDir } from "../store/dirnames.js";
import { errorMessage, isErrno, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export const NETWORKS_CONFIG = "networks.yaml";

export const MODE_USER_V2 = "user-v2";
export const MODES = [MODE_USER_V2, "host", "shared", "bridged"] as const;

export interface NetworkSpec {
  mode: string;
  /** Only bridged networks. */
  interface?: string;
  /** user-v2, host and shared networks. */
  gateway?: string;
  dhcpEnd?: string;
  netmask?: string;
}

export interface NetworksConfig {
  paths: { socketVMNet: string; varRun: string; sudoers?: string };
  group?: string;
  networks: Record<string, NetworkSpec>;
}

// Lima's pkg/networks/networks.TEMPLATE.yaml: users diff this file against Lima's, so the text is Lima's.
const TEMPLATE = `# Path to socket_vmnet executable. Because socket_vmnet is invoked via sudo it should be
# installed where only root can modify/replace it. This means also none of the
# parent directories can be writable by the user.
#
# The varRun directory also must not be writable by the user because it will
# include the socket_vmnet pid file. Those will be terminated via sudo, so replacing
# the pid file would allow killing of arbitrary privileged processes. varRun
# however MUST be writable by the daemon user.
#
# None of the paths segments may be symlinks, why it has to be /private/var
# instead of /var etc.
paths:
# socketVMNet requires Lima >= 0.12 .
  socketVMNet: "{{.SocketVMNet}}"
  varRun: /private/var/run/lima
  sudoers: /private/etc/sudoers.d/lima

# The group that is allowed to run socket_vmnet via sudo and to access the
# socket_vmnet socket (macOS only; ignored on other platforms). Non-admin users
# must set this to a group they belong to (e.g. "staff").
group: admin

networks:
  user-v2:
    mode: user-v2
    gateway: 192.168.104.1
    netmask: 255.255.255.0
  shared:
    mode: shared
    gateway: 192.168.105.1
    dhcpEnd: 192.168.105.254
    netmask: 255.255.255.0
  bridged:
    mode: bridged
    interface: en0
    # bridged mode doesn't have a gateway; dhcp is managed by outside network
  host:
    mode: host
    gateway: 192.168.106.1
    dhcpEnd: 192.168.106.254
    netmask: 255.255.255.0
`;

/** Where Lima looks for socket_vmnet, in order; the first is also the fallback. */
export const SOCKET_VMNET_CANDIDATES = [
  "/opt/socket_vmnet/bin/socket_vmnet",
  "socket_vmnet",
  "/usr/local/opt/socket_vmnet/bin/socket_vmnet",
  "/opt/homebrew/opt/socket_vmnet/bin/socket_vmnet",
] as const;

export function defaultConfigText(socketVMNet: string): string {
  return TEMPLATE.replace("{{.SocketVMNet}}", socketVMNet);
}

/** exec.LookPath of a candidate: a path as is, a bare name on $PATH; undefined when not executable. */
function lookPath(candidate: string): string | undefined {
  const dirs = candidate.includes("/") ? [""] : (process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  for (const dir of dirs) {
    const file = dir === "" ? candidate : path.join(dir, candidate);
    try {
      accessSync(file, constants.X_OK);
      return realpathSync(file);
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export function socketVMNetPath(): string {
  for (const candidate of SOCKET_VMNET_CANDIDATES) {
    const found = lookPath(candidate);
    if (found !== undefined) return found;
  }
  return SOCKET_VMNET_CANDIDATES[0];
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

function toNetwork(value: unknown): NetworkSpec {
  const raw = (value ?? {}) as Record<string, unknown>;
  const spec: NetworkSpec = { mode: str(raw.mode) ?? "" };
  for (const key of ["interface", "gateway", "dhcpEnd", "netmask"] as const) {
    const v = str(raw[key]);
    if (v !== undefined && v !== "") spec[key] = v;
  }
  return spec;
}

/**
 * The file's content as Lima reads it: with no user-v2 network that has a gateway, Lima's default
 * `user-v2` is added (in memory only).
 */
export function parseNetworksConfig(text: string, file: string): NetworksConfig {
  let raw: Record<string, unknown> | null;
  try {
    raw = parseYAML(text) as Record<string, unknown> | null;
  } catch (err) {
    throw new LimaError(`cannot parse ${q(file)}: ${errorMessage(err)}`, { cause: err });
  }
  const paths = (raw?.paths ?? {}) as Record<string, unknown>;
  const networks: Record<string, NetworkSpec> = {};
  for (const [name, nw] of Object.entries((raw?.networks ?? {}) as Record<string, unknown>)) networks[name] = toNetwork(nw);
  const cfg: NetworksConfig = {
    paths: { socketVMNet: str(paths.socketVMNet) ?? "", varRun: str(paths.varRun) ?? "", ...(paths.sudoers ? { sudoers: String(paths.sudoers) } : {}) },
    ...(raw?.group ? { group: String(raw.group) } : {}),
    networks,
  };
  const hasUsernet = Object.values(networks).some((nw) => nw.mode === MODE_USER_V2 && nw.gateway !== undefined);
  if (!hasUsernet) {
    const defaults = parseYAML(defaultConfigText(SOCKET_VMNET_CANDIDATES[0])) as { networks: Record<string, unknown> };
    networks[MODE_USER_V2] = toNetwork(defaults.networks[MODE_USER_V2]);
  }
  return cfg;
}

export function networksConfigFile(): string {
  return path.join(limaConfigDir(), NETWORKS_CONFIG);
}

/** Creates the file from Lima's template when missing (as Lima's LoadConfig), then reads it. */
export function loadNetworksConfig(file = networksConfigFile()): NetworksConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    } catch (mkErr) {
      throw new LimaError(`could not create ${q(path.dirname(file))} directory: ${errorMessage(mkErr)}`, { cause: mkErr });
    }
    text = defaultConfigText(socketVMNetPath());
    writeFileSync(file, text, { mode: 0o644 });
  }
  return parseNetworksConfig(text, file);
}

/** Lima's Config.Check. */
export function checkNetwork(cfg: NetworksConfig, name: string): NetworkSpec {
  const nw = cfg.networks[name];
  if (nw === undefined) throw new LimaError(`network ${q(name)} is not defined`);
  return nw;
}

export function isUsernet(cfg: NetworksConfig, name: string): boolean {
  return checkNetwork(cfg, name).mode === MODE_USER_V2;
}
