// Go's fmt verbs as Lima uses them in messages; users and tests match these texts literally.

/** Go `%q` of a string: double-quoted with Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go `%#q`: backquoted when possible, otherwise `%q`. */
export function q(value: unknown): string {
  const s = String(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what disqualifies backquoting
  if (!s.includes("`") && !/[\x00-\x08\x0a-\x1f\x7f]/.test(s)) return `\`${s}\``;
  return goQuote(s);
}

/** Go `%#q` of a []string: `[`a` `b`]`. */
export function qList(values: readonly string[]): string {
  return `[${values.map(q).join(" ")}]`;
}

/** Go `%v` of a []string: `[a b]`. */
export function vList(values: readonly unknown[]): string {
  return `[${values.map(String).join(" ")}]`;
}
