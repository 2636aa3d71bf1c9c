// The lima.yaml schema as data: field kinds, key order (= Go struct order, used when marshalling)
// and which fields are Go value types (omitted when zero) rather than pointers (kept when set).
import { LIMA_YAML_KEY_ORDER } from "./types.js";

export type FieldSchema =
  | { kind: "string"; value?: boolean }
  | { kind: "int"; value?: boolean; unsigned?: boolean }
  | { kind: "bool"; value?: boolean }
  | { kind: "ip" }
  | { kind: "intPair" }
  | { kind: "stringMap" }
  | { kind: "any" }
  | { kind: "list"; item: FieldSchema; allowSingle?: boolean }
  | ObjectSchema
  | { kind: "stringOr"; object: ObjectSchema; key: string }
  | { kind: "anyMap"; known: Readonly<Record<string, FieldSchema>> };

export interface ObjectSchema {
  kind: "object";
  fields: Readonly<Record<string, FieldSchema>>;
  /** Go pointer-to-struct: omitted from JSON when unset (value structs are always emitted). */
  pointer?: boolean;
}

const str: FieldSchema = { kind: "string" };
const valueStr: FieldSchema = { kind: "string", value: true };
const int: FieldSchema = { kind: "int" };
const valueInt: FieldSchema = { kind: "int", value: true };
const uint: FieldSchema = { kind: "int", unsigned: true };
const bool: FieldSchema = { kind: "bool" };
const valueBool: FieldSchema = { kind: "bool", value: true };
const stringList: FieldSchema = { kind: "list", item: str };
const stringMap: FieldSchema = { kind: "stringMap" };

function object(fields: Record<string, FieldSchema>, pointer = false): ObjectSchema {
  return pointer ? { kind: "object", fields, pointer } : { kind: "object", fields };
}

const fileFields = { location: str, arch: valueStr, digest: valueStr };
const file = object(fileFields);
const locator = object({ url: str, digest: str });
const locatorRef: FieldSchema = { kind: "stringOr", object: { ...locator, pointer: true }, key: "url" };
const rosetta = object({ enabled: bool, binfmt: bool });
const cpuType = stringMap;

const image = object({
  ...fileFields,
  kernel: object({ ...fileFields, cmdline: valueStr }, true),
  initrd: object(fileFields, true),
  variant: valueStr,
  archVariant: valueStr,
});

const disk = object({ name: str, format: bool, fsType: str, fsArgs: stringList });

const mount = object({
  location: str,
  mountPoint: str,
  writable: bool,
  sshfs: object({ cache: bool, followSymlinks: bool, sftpDriver: str }),
  "9p": object({ securityModel: str, protocolVersion: str, msize: str, cache: str }),
  virtiofs: object({ queueSize: int }),
});

const provision = object({
  mode: valueStr,
  skipDefaultDependencyResolution: bool,
  script: str,
  file: locatorRef,
  playbook: valueStr,
  content: str,
  overwrite: bool,
  owner: str,
  path: str,
  permissions: str,
  expression: str,
  format: str,
});

const probe = object({ mode: valueStr, description: valueStr, script: str, file: locatorRef, hint: valueStr });

const portForward = object({
  guestIPMustBeZero: bool,
  guestIP: { kind: "ip" },
  guestPort: valueInt,
  guestPortRange: { kind: "intPair" },
  guestSocket: valueStr,
  hostIP: { kind: "ip" },
  hostPort: valueInt,
  hostPortRange: { kind: "intPair" },
  hostSocket: valueStr,
  proto: valueStr,
  reverse: valueBool,
  ignore: valueBool,
  static: valueBool,
});

const copyToHost = object({ guest: valueStr, host: valueStr, skipIfMissing: valueBool, deleteOnStop: valueBool });

const network = object({ lima: valueStr, socket: valueStr, vzNAT: bool, macAddress: valueStr, interface: valueStr, metric: uint });

const topFields: Record<string, FieldSchema> = {
  base: { kind: "list", item: { kind: "stringOr", object: locator, key: "url" }, allowSingle: true },
  minimumLimaVersion: str,
  vmType: str,
  vmOpts: {
    kind: "anyMap",
    known: {
      qemu: object({ minimumVersion: str, cpuType }),
      vz: object({ rosetta, diskImageFormat: str }),
    },
  },
  os: str,
  arch: str,
  images: { kind: "list", item: image },
  cpuType,
  cpus: int,
  memory: str,
  disk: str,
  additionalDisks: { kind: "list", item: { kind: "stringOr", object: disk, key: "name" } },
  mounts: { kind: "list", item: mount },
  mountTypesUnsupported: stringList,
  mountType: str,
  mountInotify: bool,
  ssh: object({
    localPort: int,
    loadDotSSHPubKeys: bool,
    forwardAgent: bool,
    forwardX11: bool,
    forwardX11Trusted: bool,
    overVsock: bool,
  }),
  firmware: object({ legacyBIOS: bool, images: { kind: "list", item: object({ ...fileFields, vmType: valueStr }) } }),
  audio: object({ device: str, interface: str }),
  video: object({ display: str, vnc: object({ display: str }) }),
  provision: { kind: "list", item: provision },
  upgradePackages: bool,
  containerd: object({ system: bool, user: bool, archives: { kind: "list", item: file } }),
  guestInstallPrefix: str,
  probes: { kind: "list", item: probe },
  portForwards: { kind: "list", item: portForward },
  copyToHost: { kind: "list", item: copyToHost },
  message: valueStr,
  networks: { kind: "list", item: network },
  env: stringMap,
  param: stringMap,
  dns: { kind: "list", item: { kind: "ip" } },
  hostResolver: object({ enabled: bool, ipv6: bool, hosts: stringMap }),
  propagateProxyEnv: bool,
  caCerts: object({ removeDefaults: bool, files: stringList, certs: stringList }),
  rosetta,
  plain: bool,
  timezone: str,
  nestedVirtualization: bool,
  user: object({ name: str, comment: str, home: str, shell: str, uid: uint, passwordlessSudo: bool }),
  tpm: bool,
  osOpts: { kind: "anyMap", known: { Windows: object({ virtioWin: { kind: "list", item: file } }) } },
};

/** The whole lima.yaml; top-level keys in LIMA_YAML_KEY_ORDER. */
export const LIMA_YAML_SCHEMA: ObjectSchema = object(
  Object.fromEntries(LIMA_YAML_KEY_ORDER.map((key) => [key, topFields[key] ?? { kind: "any" }])),
);
