// Instance output formats shared by `limactl list` and friends: JSON lines, YAML, Go templates.
import YAML, { LineCounter } from "yaml";
import { decodeDocument } from "../config/decode.js";
import { toJSONObject } from "../config/marshal.js";
import { LIMA_YAML_SCHEMA } from "../config/schema.js";
import type { Disk, LimaYAML, Network } from "../config/types.js";
import { limaFuncs } from "../gotmpl/limafuncs.js";
import { parseTemplate } from "../gotmpl/index.js";
import { formatData } from "./store.js";
import type { Instance, Status } from "./instance.js";

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

/**
 * The inverse of `instanceJSON(inst, false)`: an instance from the JSON external drivers exchange
 * (Lima's `limatype.Instance` JSON). Like Go's decoder, unknown keys are ignored and missing ones
 * are zero; a value of the wrong type is an error naming its key.
 */
export function instanceFromJSON(json: unknown): Instance {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error("instance JSON: must be an object");
  const record = json as Record<string, unknown>;
  const field = <T>(key: string, type: "string" | "number" | "boolean" | "object" | "array"): T | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    const actual = Array.isArray(value) ? "array" : typeof value;
    if (actual !== type) throw new Error(`instance JSON: field "${key}" must be of type ${type}, got ${actual}`);
    return value as T;
  };
  const errors = field<unknown[]>("errors", "array")?.map(String);
  const config = field<Record<string, unknown>>("config", "object");
  const inst: Instance = {
    name: field<string>("name", "string") ?? "",
    hostname: field<string>("hostname", "string") ?? "",
    status: (field<string>("status", "string") ?? "") as Status,
    dir: field<string>("dir", "string") ?? "",
    vmType: field<string>("vmType", "string") ?? "",
    arch: field<string>("arch", "string") ?? "",
    cpus: field<number>("cpus", "number"),
    memory: field<number>("memory", "number"),
    disk: field<number>("disk", "number"),
    message: field<string>("message", "string"),
    additionalDisks: field<Disk[]>("additionalDisks", "array"),
    network: field<Network[]>("network", "array"),
    sshLocalPort: field<number>("sshLocalPort", "number"),
    sshConfigFile: field<string>("sshConfigFile", "string"),
    hostAgentPID: field<number>("hostAgentPID", "number"),
    driverPID: field<number>("driverPID", "number"),
    errors,
    config: config === undefined ? undefined : configFromJSON(config),
    sshAddress: field<string>("sshAddress", "string"),
    protected: field<boolean>("protected", "boolean") ?? false,
    limaVersion: field<string>("limaVersion", "string") ?? "",
    param: field<Record<string, string>>("param", "object"),
    autoStartedIdentifier: field<string>("autoStartedIdentifier", "string"),
  };
  for (const key of Object.keys(inst) as (keyof Instance)[]) if (inst[key] === undefined) delete inst[key];
  return inst;
}

/** The `config` of an instance JSON, decoded against the lima.yaml schema (JSON is YAML). */
function configFromJSON(json: Record<string, unknown>): LimaYAML {
  const decoded = decodeDocument(new YAML.Document(json), new LineCounter(), LIMA_YAML_SCHEMA);
  const problem = decoded.typeErrors[0];
  if (problem) throw new Error(`instance JSON: config: ${problem.message}`);
  return decoded.value as LimaYAML;
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
