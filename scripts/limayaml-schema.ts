// Generates the JSON schema of lima.yaml from the project's own types (src/config/types.ts) with
// the TypeScript compiler, the way Lima reflects its Go structs with invopop/jsonschema: `$schema`,
// `$ref` to `#/$defs/LimaYAML`, one `$defs` entry per named type, `required` for non-optional
// fields, no additional properties unless the type has an index signature.
// Run by scripts/build.mjs: `node --import tsx scripts/limayaml-schema.ts OUT.json`.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export type JSONSchema = { [key: string]: unknown } | boolean;
type SchemaObject = { [key: string]: unknown };

const DRAFT = "https://json-schema.org/draft/2020-12/schema";
const ROOT_TYPE = "LimaYAML";
export const TYPES_FILE = fileURLToPath(new URL("../src/config/types.ts", import.meta.url));

/** Lima's genschema lets these be written as a string too (a disk name, a base URL). */
const ALSO_A_STRING = ["Disk"];

/** invopop's nullable: one of the value's schema or null. */
function nullable(schema: JSONSchema): JSONSchema {
  return schema === true ? true : { oneOf: [schema, { type: "null" }] };
}

class Reflector {
  readonly defs = new Map<string, SchemaObject>();

  constructor(private readonly checker: ts.TypeChecker, private readonly typesFile: string) {}

  /** A type declared by name in the types file becomes a `$defs` entry. */
  private definitionName(type: ts.Type): string | undefined {
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const decl = symbol?.declarations?.[0];
    if (!symbol || !decl || path.resolve(decl.getSourceFile().fileName) !== this.typesFile) return undefined;
    if (!ts.isInterfaceDeclaration(decl) && !ts.isTypeAliasDeclaration(decl)) return undefined;
    return symbol.getName();
  }

  schemaOf(type: ts.Type): JSONSchema {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
    if (type.flags & ts.TypeFlags.String) return { type: "string" };
    if (type.flags & ts.TypeFlags.Number) return { type: "integer" };
    if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
    if (type.isStringLiteral()) return { type: "string", enum: [type.value] };
    if (type.isUnion()) return this.unionSchema(type);
    if (this.checker.isTupleType(type)) return this.tupleSchema(type as ts.TypeReference);
    if (this.checker.isArrayType(type)) {
      const [item] = this.checker.getTypeArguments(type as ts.TypeReference);
      return { items: item ? this.schemaOf(item) : true, type: "array" };
    }
    const name = this.definitionName(type);
    if (name === undefined) return this.objectSchema(type);
    if (!this.defs.has(name)) {
      this.defs.set(name, {}); // placeholder first: types may refer to themselves
      this.defs.set(name, this.objectSchema(type, name));
    }
    return { $ref: `#/$defs/${name}` };
  }

  private unionSchema(type: ts.UnionType): JSONSchema {
    const members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    if (members.every((t) => t.isStringLiteral())) return { type: "string", enum: members.map((t) => (t as ts.StringLiteralType).value) };
    if (members.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
    const [only] = members;
    if (members.length === 1 && only) return this.schemaOf(only);
    return { oneOf: members.map((t) => this.schemaOf(t)) };
  }

  private tupleSchema(type: ts.TypeReference): JSONSchema {
    const items = this.checker.getTypeArguments(type);
    const [first] = items;
    return { items: first ? this.schemaOf(first) : true, type: "array", maxItems: items.length, minItems: items.length };
  }

  private objectSchema(type: ts.Type, name?: string): SchemaObject {
    const index = this.checker.getIndexInfosOfType(type)[0];
    const props = this.checker.getPropertiesOfType(type);
    const properties: Record<string, JSONSchema> = {};
    const required: string[] = [];
    for (const prop of props) {
      const declared = this.checker.getNonNullableType(this.checker.getTypeOfSymbol(prop));
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      // An optional field is "unset" in Lima's YAML when absent or null (Go's nil pointer,
      // `jsonschema:"nullable"`): templates write `cpus: null`.
      const schema = optional ? nullable(this.schemaOf(declared)) : this.schemaOf(declared);
      const doc = ts.displayPartsToString(prop.getDocumentationComment(this.checker)).trim();
      properties[prop.getName()] = doc && typeof schema === "object" ? { ...schema, description: doc } : schema;
      if (!optional) required.push(prop.getName());
    }
    if (props.length === 0 && index) return { additionalProperties: this.schemaOf(index.type), type: "object" };
    const out: SchemaObject = { properties, additionalProperties: index ? this.schemaOf(index.type) : false, type: "object" };
    if (required.length > 0) out.required = required;
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const doc = symbol ? ts.displayPartsToString(symbol.getDocumentationComment(this.checker)).trim() : "";
    if (doc) out.description = doc;
    if (name !== undefined && ALSO_A_STRING.includes(name)) {
      delete out.type;
      out.oneOf = [{ type: "string" }, { type: "object" }];
    }
    return out;
  }
}

/** The JSON schema of lima.yaml, from `typesFile` (default: src/config/types.ts). */
export function limaYAMLSchema(typesFile: string = TYPES_FILE): SchemaObject {
  const file = path.resolve(typesFile);
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file}: cannot read the lima.yaml types`);
  const checker = program.getTypeChecker();
  const root = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === ROOT_TYPE);
  if (!root) throw new Error(`${file}: no interface ${ROOT_TYPE}: the schema starts from it`);
  const reflector = new Reflector(checker, file);
  const ref = reflector.schemaOf(checker.getTypeAtLocation(root.name));
  const defs = Object.fromEntries([...reflector.defs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { $schema: DRAFT, ...(ref as SchemaObject), $defs: defs };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error("usage: limayaml-schema.ts OUT.json");
  writeFileSync(out, `${JSON.stringify(limaYAMLSchema(), null, 4)}\n`);
}
