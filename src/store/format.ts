// Instance output formats shared by `limactl list` and friends: JSON lines, YAML, Go templates.
import YAML from "yaml";
import { toJSONObject } from "../config/marshal.js";
import { limaFuncs } from "../gotmpl/limafuncs.js";
import { parseTemplate } from "../gotmpl/index.js";
import { formatData } from "./store.js";
import type { Instance } from "./instance.js";

/** Drops empty objects recursively (Lima re-encodes list JSON through yq this way). */
export function removeEmptyObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(removeEmptyObjects);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const cleaned = removeEmptyObjects(v);
    if (cleaned !== null && typeof cleaned === "object" && !Array.isArray(cleaned) && Object.keys(cleaned).length === 0) continue;
    out[k] = cleaned;
  }
  return out;
}

/** The instance as Lima's JSON encoder writes it: fixed key order, omitempty fields dropped. */
export function instanceJSON(inst: Instance, withHostFields = true): Record<string, unknown> {
  const omitEmpty = <T>(v: T): T | undefined => {
    if (v === undefined || v === null || v === 0 || v === "") return undefined;
    if (Array.isArray(v) && v.length === 0) return undefined;
    if (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0) return undefined;
    return v;
  };
  const data = formatData(inst);
  const record: Record<string, unknown> = {
    name: inst.name,
    hostname: inst.hostname,
    status: inst.status,
    dir: inst.dir,
    vmType: inst.vmType,
    arch: inst.arch,
    cpus: omitEmpty(inst.cpus),
    memory: omitEmpty(inst.memory),
    disk: omitEmpty(inst.disk),
    message: omitEmpty(inst.message),
    additionalDisks: omitEmpty(inst.additionalDisks),
    network: omitEmpty(inst.network),
    sshLocalPort: omitEmpty(inst.sshLocalPort),
    sshConfigFile: omitEmpty(inst.sshConfigFile),
    hostAgentPID: omitEmpty(inst.hostAgentPID),
    driverPID: omitEmpty(inst.driverPID),
    errors: omitEmpty(inst.errors),
    config: inst.config ? toJSONObject(inst.config) : undefined,
    sshAddress: omitEmpty(inst.sshAddress),
    protected: inst.protected,
    limaVersion: inst.limaVersion,
    param: omitEmpty(inst.param),
    autoStartedIdentifier: omitEmpty(inst.autoStartedIdentifier),
  };
  if (withHostFields) {
    Object.assign(record, { HostOS: data.HostOS, HostArch: data.HostArch, LimaHome: data.LimaHome, IdentityFile: data.IdentityFile });
  }
  return removeEmptyObjects(record) as Record<string, unknown>;
}

export function instanceYAML(inst: Instance): string {
  return new YAML.Document(instanceJSON(inst)).toString({ indentSeq: false, lineWidth: 0 });
}

/** Go field names of the list record, for `--list-fields` and template field lookup. */
export const LIST_FIELDS = [
  "AdditionalDisks", "Arch", "AutoStartedIdentifier", "CPUs", "Config", "Dir", "Disk", "DriverPID", "Errors",
  "HostAgentPID", "Hostname", "LimaVersion", "Memory", "Message", "Name", "Networks", "Param", "Protected",
  "SSHAddress", "SSHConfigFile", "SSHLocalPort", "Status", "VMType",
] as const;

/** Renders a `--format` Go template for one instance (Lima: `store.FormatData`). */
export function renderInstanceTemplate(format: string, inst: Instance): string {
  const tmpl = parseTemplate("format", format, limaFuncs);
  const data = formatData(inst);
  if (typeof data.Message === "string") data.Message = data.Message.replace(/\n$/, "");
  return tmpl.execute(data, { typeName: "store.FormatData" });
}
