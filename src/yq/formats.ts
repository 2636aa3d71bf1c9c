// yq's encode/decode operators: to_json/@json, to_yaml/@yaml, @props, @csv/@tsv, @base64(d), @uri(d), @sh.
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, Pair } from "yaml";
import { YqEvalError } from "./arithmetic.js";
import { asNode, keyText, scalarText, tagOf, toJS, type YNode } from "./nodes.js";

function stringOf(node: YNode, what: string): string {
  if (!isScalar(node) || tagOf(node) !== "!!str") {
    throw new YqEvalError(`cannot encode ${tagOf(node)} as ${what}, can only operate on strings. Please first pipe through another encoding operator to convert the value to a string`);
  }
  return scalarText(node);
}

export function toJSON(node: YNode, indent: number): string {
  // yq's JSON on one line has no newline; indented JSON ends with one.
  if (indent === 0) return JSON.stringify(toJS(node));
  return `${JSON.stringify(toJS(node), null, indent)}\n`;
}

export function toYAML(node: YNode, indent: number): string {
  return new Document(node.clone()).toString({ indent, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
}

export function fromYAML(text: string): YNode {
  return asNode(parseDocument(text).contents);
}

/** Java properties: `a.b.0 = value`, one line per scalar leaf. */
export function toProps(node: YNode): string {
  const lines: string[] = [];
  const walk = (n: YNode, path: string[]): void => {
    if (isMap(n)) for (const pair of n.items) walk(asNode(pair.value), [...path, keyText(pair.key)]);
    else if (isSeq(n)) n.items.forEach((item, i) => walk(asNode(item), [...path, String(i)]));
    else lines.push(`${path.join(".")} = ${scalarText(n)}`);
  };
  walk(node, []);
  return lines.map((line) => `${line}\n`).join("");
}

export function fromProps(text: string): YNode {
  const root = new YAMLMap();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const m = /^((?:[^=:\s\\]|\\.)+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) continue;
    const path = (m[1] ?? "").split(".");
    let map = root;
    path.forEach((key, i) => {
      const existing = map.items.find((p) => keyText(p.key) === key);
      if (i === path.length - 1) {
        if (existing) existing.value = new Scalar(m[2] ?? "");
        else map.items.push(new Pair(new Scalar(key), new Scalar(m[2] ?? "")));
        return;
      }
      if (existing && isMap(existing.value)) map = existing.value;
      else {
        const child = new YAMLMap();
        map.items.push(new Pair(new Scalar(key), child));
        map = child;
      }
    });
  }
  return root;
}

function csvField(node: YNode, separator: string): string {
  const text = isScalar(node) ? scalarText(node) : JSON.stringify(toJS(node));
  if (separator === "\t") return text;
  return /[",\n\r]/.test(text) || text.startsWith(" ") ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A sequence of scalars is one row; a sequence of sequences is many; maps get a header row. */
export function toCSV(node: YNode, separator: string): string {
  if (!isSeq(node)) throw new YqEvalError(`csv encoding only works for arrays, got: ${tagOf(node)}`);
  const rows = node.items.map((item) => asNode(item));
  const row = (cells: YNode[]): string => cells.map((cell) => csvField(cell, separator)).join(separator);
  if (rows.every((r) => isScalar(r))) return row(rows);
  if (rows.every((r) => isMap(r))) {
    const header = (rows[0] as YAMLMap).items.map((p) => keyText(p.key));
    const lines = [header.map((h) => csvField(new Scalar(h), separator)).join(separator)];
    for (const r of rows as YAMLMap[]) {
      lines.push(row(header.map((h) => asNode(r.items.find((p) => keyText(p.key) === h)?.value))));
    }
    return lines.join("\n");
  }
  return rows.map((r) => row(isSeq(r) ? r.items.map((i) => asNode(i)) : [r])).join("\n");
}

export function fromCSV(text: string, separator: string): YNode {
  const records = parseCSV(text, separator);
  const [header = [], ...rows] = records;
  const out = new YAMLSeq();
  for (const cells of rows) {
    const map = new YAMLMap();
    header.forEach((h, i) => map.items.push(new Pair(new Scalar(h), scalarFromText(cells[i] ?? ""))));
    out.items.push(map);
  }
  return out;
}

function scalarFromText(text: string): Scalar {
  const node = asNode(parseDocument(text).contents);
  return isScalar(node) && typeof node.value !== "object" ? node : new Scalar(text);
}

function parseCSV(text: string, separator: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "" && separator !== "\t") quoted = true;
    else if (ch === separator) {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Go's url.QueryEscape. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

export function uriDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}

const SH_UNSAFE = /[^\w@%+=:,./-]/;

/** Shell-quotes lazily: unsafe runs go in single quotes, a quote becomes `\'`. */
export function shQuote(text: string): string {
  let out = "";
  let inQuotes = false;
  for (const ch of text) {
    if (ch === "'") {
      if (inQuotes) {
        out += "'";
        inQuotes = false;
      }
      out += "\\'";
      continue;
    }
    if (SH_UNSAFE.test(ch) && !inQuotes) {
      out += "'";
      inQuotes = true;
    }
    out += ch;
  }
  return inQuotes ? `${out}'` : out;
}

type Encoder = (node: YNode, indent: number | undefined) => YNode;

/** Operators by name; `indent` is the optional numeric argument (`to_json(0)`). */
export const ENCODERS: Record<string, Encoder> = {
  to_json: (node, indent) => new Scalar(toJSON(node, indent ?? 2)),
  "@json": (node) => new Scalar(toJSON(node, 0)),
  to_yaml: (node, indent) => new Scalar(toYAML(node, indent ?? 2)),
  to_props: (node) => new Scalar(toProps(node)),
  to_csv: (node) => new Scalar(toCSV(node, ",")),
  to_tsv: (node) => new Scalar(toCSV(node, "\t")),
  "@base64": (node) => new Scalar(Buffer.from(stringOf(node, "base64"), "utf8").toString("base64")),
  "@base64d": (node) => new Scalar(Buffer.from(stringOf(node, "base64"), "base64").toString("utf8")),
  "@uri": (node) => new Scalar(uriEncode(stringOf(node, "URI"))),
  "@urid": (node) => new Scalar(uriDecode(stringOf(node, "URI"))),
  "@sh": (node) => new Scalar(shQuote(stringOf(node, "sh"))),
  from_json: (node) => fromYAML(stringOf(node, "json")),
  from_yaml: (node) => fromYAML(stringOf(node, "yaml")),
  from_props: (node) => fromProps(stringOf(node, "props")),
  from_csv: (node) => fromCSV(stringOf(node, "csv"), ","),
  from_tsv: (node) => fromCSV(stringOf(node, "tsv"), "\t"),
};
