// Checks a YAML document against the lima.yaml JSON schema (`limactl generate-jsonschema FILES`):
// the keywords that schema uses ($ref, oneOf, type, enum, properties, required,
// additionalProperties, items, minItems/maxItems). Errors read like santhosh-tekuri/jsonschema's,
// which Lima uses: one "- at '<JSON pointer>': <problem>" line per failure.

export type JSONSchema = { [key: string]: unknown } | boolean;
type SchemaObject = { [key: string]: unknown };

interface Failure {
  at: string;
  message: string;
  /** Why each alternative of a oneOf failed, shown indented below it. */
  causes?: Failure[];
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value === "object" ? "object" : typeof value;
}

function typeMatches(want: string, value: unknown): boolean {
  const got = typeName(value);
  return got === want || (want === "number" && got === "integer");
}

const quote = (s: string): string => `'${s}'`;
const pointer = (at: string, key: string | number): string => `${at}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;

class Validator {
  constructor(private readonly root: SchemaObject) {}

  private resolve(ref: string): JSONSchema {
    const name = /^#\/\$defs\/(.+)$/.exec(ref)?.[1];
    const defs = this.root.$defs as Record<string, JSONSchema> | undefined;
    const target = name === undefined ? undefined : defs?.[name];
    if (target === undefined) throw new Error(`jsonschema: cannot resolve ${quote(ref)}`);
    return target;
  }

  check(schema: JSONSchema, value: unknown, at: string): Failure[] {
    if (schema === true) return [];
    if (schema === false) return [{ at, message: "false schema" }];
    if (typeof schema.$ref === "string") return this.check(this.resolve(schema.$ref), value, at);
    const failures: Failure[] = [];
    if (Array.isArray(schema.oneOf)) {
      const results = (schema.oneOf as JSONSchema[]).map((s) => this.check(s, value, at));
      const matching = results.filter((r) => r.length === 0).length;
      if (matching === 0) failures.push({ at, message: "oneOf failed, none matched", causes: results.flat() });
      if (matching > 1) failures.push({ at, message: "oneOf failed, more than one matched" });
    }
    if (typeof schema.type === "string" && !typeMatches(schema.type, value)) {
      return [...failures, { at, message: `got ${typeName(value)}, want ${schema.type}` }];
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      failures.push({ at, message: `value must be one of ${schema.enum.map((v) => JSON.stringify(v).replace(/"/g, "'")).join(", ")}` });
    }
    if (Array.isArray(value)) failures.push(...this.checkArray(schema, value, at));
    else if (typeName(value) === "object") failures.push(...this.checkObject(schema, value as Record<string, unknown>, at));
    return failures;
  }

  private checkArray(schema: SchemaObject, value: unknown[], at: string): Failure[] {
    const failures: Failure[] = [];
    if (typeof schema.minItems === "number" && value.length < schema.minItems) failures.push({ at, message: `minItems: got ${value.length}, want ${schema.minItems}` });
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) failures.push({ at, message: `maxItems: got ${value.length}, want ${schema.maxItems}` });
    const items = schema.items as JSONSchema | undefined;
    if (items !== undefined) value.forEach((v, i) => failures.push(...this.check(items, v, pointer(at, i))));
    return failures;
  }

  private checkObject(schema: SchemaObject, value: Record<string, unknown>, at: string): Failure[] {
    const failures: Failure[] = [];
    const properties = (schema.properties ?? {}) as Record<string, JSONSchema>;
    const missing = ((schema.required ?? []) as string[]).filter((key) => !(key in value));
    if (missing.length > 0) failures.push({ at, message: `missing properties ${missing.map(quote).join(", ")}` });
    const extra: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      const prop = properties[key];
      if (prop !== undefined) {
        failures.push(...this.check(prop, v, pointer(at, key)));
        continue;
      }
      const additional = schema.additionalProperties as JSONSchema | undefined;
      if (additional === false) extra.push(key);
      else if (additional !== undefined) failures.push(...this.check(additional, v, pointer(at, key)));
    }
    if (extra.length > 0) failures.push({ at, message: `additional properties ${extra.map(quote).join(", ")} not allowed` });
    return failures;
  }
}

function formatFailures(failures: readonly Failure[], indent: string): string[] {
  return failures.flatMap((f) => [`${indent}- at ${quote(f.at)}: ${f.message}`, ...formatFailures(f.causes ?? [], `${indent}  `)]);
}

/** Undefined when `value` matches `schema`, else the failures as Lima's validator words them. */
export function validateAgainstSchema(schema: SchemaObject, value: unknown, schemaURL: string): string | undefined {
  const failures = new Validator(schema).check(schema, value, "");
  if (failures.length === 0) return undefined;
  return `jsonschema validation failed with ${quote(`${schemaURL}#`)}\n${formatFailures(failures, "").join("\n")}`;
}
