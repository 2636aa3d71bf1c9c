// The JSON payloads of Lima's driver protocol: `Info` (driver.Info), the instance in Configure
// and `--inspect-status` (limatype.Instance). Pure functions shared by the client and the SDK.
import { instanceFromJSON, instanceJSON } from "../../store/format.js";
import type { Instance } from "../../store/instance.js";
import type { DriverFeatures, DriverInfo } from "../driver.js";

/** driver.Info as Go's encoding/json writes it: struct key order, omitempty where Lima has it. */
export function encodeDriverInfo(info: DriverInfo): Buffer {
  const f = info.features;
  const features = {
    canRunGui: f.canRunGui === true ? true : undefined,
    dynamicSSHAddress: f.dynamicSSHAddress === true,
    staticSSHPort: f.staticSSHPort === true,
    skipSocketForwarding: f.skipSocketForwarding === true,
    noCloudInit: f.noCloudInit === true,
    rosettaEnabled: f.rosettaEnabled === true,
    rosettaBinFmt: f.rosettaBinFmt === true,
    supportedImageFormats: f.supportedImageFormats?.length ? f.supportedImageFormats : undefined,
  };
  const json = {
    name: info.name,
    vsockPort: info.vsockPort,
    virtioPort: info.virtioPort,
    instanceDir: info.instanceDir || undefined,
    features,
  };
  return Buffer.from(JSON.stringify(json));
}

export function decodeDriverInfo(bytes: Uint8Array): DriverInfo {
  const json = parseObject(Buffer.from(bytes).toString("utf8"), "driver info");
  const f = (json.features ?? {}) as Record<string, unknown>;
  const features: DriverFeatures = {
    dynamicSSHAddress: f.dynamicSSHAddress === true,
    staticSSHPort: f.staticSSHPort === true,
    skipSocketForwarding: f.skipSocketForwarding === true,
    noCloudInit: f.noCloudInit === true,
    rosettaEnabled: f.rosettaEnabled === true,
    rosettaBinFmt: f.rosettaBinFmt === true,
  };
  if (f.canRunGui === true) features.canRunGui = true;
  if (Array.isArray(f.supportedImageFormats)) features.supportedImageFormats = f.supportedImageFormats.map(String);
  const info: DriverInfo = {
    name: typeof json.name === "string" ? json.name : "",
    vsockPort: typeof json.vsockPort === "number" ? json.vsockPort : 0,
    virtioPort: typeof json.virtioPort === "string" ? json.virtioPort : "",
    features,
  };
  if (typeof json.instanceDir === "string" && json.instanceDir !== "") info.instanceDir = json.instanceDir;
  return info;
}

/** The instance as `limactl list --json` writes it, without the host fields. */
export function encodeInstance(inst: Instance): Buffer {
  return Buffer.from(JSON.stringify(instanceJSON(inst, false)));
}

export function decodeInstance(bytes: Uint8Array): Instance {
  return instanceFromJSON(parseObject(Buffer.from(bytes).toString("utf8"), "instance"));
}

/**
 * `--inspect-status` stdin/stdout: one JSON string holding the base64 of the instance JSON
 * (Go's JSON encoding of a []byte), then a newline as Go's json.Encoder ends a value.
 */
export function encodeInspectPayload(inst: Instance): string {
  return `${JSON.stringify(encodeInstance(inst).toString("base64"))}\n`;
}

/** The instance in an `--inspect-status` payload; throws describing what came instead. */
export function decodeInspectPayload(text: string): Instance {
  const first = text.trimStart().split("\n", 1)[0] ?? "";
  let value: unknown;
  try {
    value = JSON.parse(first);
  } catch {
    throw new Error(`expected one JSON string (base64 of the instance JSON), got ${quoteStart(text)}`);
  }
  if (typeof value !== "string") throw new Error(`expected one JSON string (base64 of the instance JSON), got ${quoteStart(text)}`);
  return decodeInstance(Buffer.from(value, "base64"));
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: not JSON (${(e as Error).message}): ${quoteStart(text)}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error(`${what}: expected a JSON object, got ${quoteStart(text)}`);
  return value as Record<string, unknown>;
}

function quoteStart(text: string): string {
  const start = text.length > 200 ? `${text.slice(0, 200)}...` : text;
  return JSON.stringify(start);
}
