// Marshalling a LimaYAML the way Lima's Go structs marshal: keys in struct order, unset values
// omitted. YAML (goccy, omitempty) also drops zero value-type fields and empty structs; JSON
// (encoding/json, omitempty) keeps value-type structs (`"rosetta":{}`) and fixed-size arrays.
import { stringify } from "yaml";
import { LIMA_YAML_SCHEMA, type FieldSchema, type ObjectSchema } from "./schema.js";
import type { LimaYAML } from "./types.js";

type Mode = "yaml" | "json";
const OMIT = Symbol("omit");
type Out = unknown | typeof OMIT;

function isZero(value: unknown): boolean {
  return value === "" || value === 0 || value === false;
}

function convert(value: unknown, schema: FieldSchema, mode: Mode): Out {
  if (value === undefined || value === null) return absent(schema, mode);
  switch (schema.kind) {
    case "string":
    case "int":
    case "bool":
      return schema.value === true && isZero(value) ? OMIT : value;
    case "ip":
    case "any":
      return value;
    case "intPair":
      return mode === "yaml" && Array.isArray(value) && value[0] === 0 && value[1] === 0 ? OMIT : value;
    case "stringMap":
    case "anyMap":
      return Object.keys(value as object).length === 0 ? OMIT : convertMap(value as Record<string, unknown>, schema, mode);
    case "list": {
      const items = (value as unknown[]).map((item) => convert(item, schema.item, mode)).filter((item) => item !== OMIT);
      return items.length === 0 ? OMIT : items;
    }
    case "object":
      return convertObject(value as Record<string, unknown>, schema, mode);
    case "stringOr":
      return convertObject(value as Record<string, unknown>, schema.object, mode);
  }
}

/** What an unset field becomes: omitted, except JSON's value structs and fixed arrays. */
function absent(schema: FieldSchema, mode: Mode): Out {
  if (mode === "yaml") return OMIT;
  if (schema.kind === "object" && schema.pointer !== true) return convertObject({}, schema, mode);
  if (schema.kind === "intPair") return [0, 0];
  return OMIT;
}

function convertMap(value: Record<string, unknown>, schema: FieldSchema, mode: Mode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const itemSchema: FieldSchema = schema.kind === "anyMap" ? (schema.known[key] ?? { kind: "any" }) : { kind: "any" };
    const converted = convert(item, itemSchema, mode);
    if (converted !== OMIT) out[key] = converted;
  }
  return out;
}

function convertObject(value: Record<string, unknown>, schema: ObjectSchema, mode: Mode): Out {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.fields)) {
    const converted = convert(value[key], field, mode);
    if (converted !== OMIT) out[key] = converted;
  }
  return mode === "yaml" && Object.keys(out).length === 0 ? OMIT : out;
}

/** The config as a plain object in struct key order, as `limactl list --json` shows `.config`. */
export function toJSONObject(config: LimaYAML): Record<string, unknown> {
  const out = convert(config, LIMA_YAML_SCHEMA, "json");
  return out === OMIT ? {} : (out as Record<string, unknown>);
}

/** YAML of the config in struct key order (`template copy --fill`): sequences not indented under their key. */
export function marshalConfig(config: LimaYAML): string {
  const out = convert(config, LIMA_YAML_SCHEMA, "yaml");
  if (out === OMIT) return "{}\n";
  return stringify(out, { indent: 2, indentSeq: false, lineWidth: 0, minContentWidth: 0 });
}
