// Source-preserving YAML output for edited documents.
//
// The `yaml` package re-attaches some comments differently from how they were written
// (comments under an empty value, trailing comments of nested blocks) and collapses runs of
// blank lines. Lima needs `--set 'del(.nothing)'` to be the identity, so instead of trusting
// the library with comments we print the edited document without any comments, align its
// lines with the original text, and restore the original comment/blank lines (and inline
// comments) around the content lines they were written next to.
import { isCollection, isScalar, parseAllDocuments, visit, type Document } from "yaml";

export const LIMA_STRINGIFY = { indent: 2, indentSeq: false, lineWidth: 0, flowCollectionPadding: false } as const;

interface SourceLine {
  /** The full original line. */
  text: string;
  /** The line without its inline comment, compared against the new output. */
  bare: string;
  /** `  # comment` including the spacing before `#`, or "". */
  comment: string;
  /** Comment and blank lines written directly above this line. */
  trivia: string[];
}

/** Prints the documents, restoring comments and blank lines from `source`. */
export function printPreservingSource(source: string, docs: Document[]): string {
  for (const doc of docs) stripComments(doc);
  const printed = docs.map((doc) => doc.toString(LIMA_STRINGIFY)).join("");
  const outLines = splitLines(printed);
  const { lines, trailing } = analyzeSource(source);
  const merged = merge(lines, outLines);
  return [...merged, ...trailing].map((line) => `${line}\n`).join("");
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function stripComments(doc: Document): void {
  doc.commentBefore = null;
  doc.comment = null;
  visit(doc, (_key, node) => {
    if (isScalar(node) || isCollection(node)) {
      node.commentBefore = null;
      node.comment = null;
      node.spaceBefore = false;
    }
  });
}

/** Lines of the source that belong to multi-line scalars or flow collections: never trivia. */
function verbatimLines(source: string): Set<number> {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const out = new Set<number>();
  for (const doc of parseAllDocuments(source)) {
    if (!("contents" in doc)) continue;
    visit(doc, (_key, node) => {
      const multiLine = isScalar(node) || (isCollection(node) && node.flow === true);
      if (!multiLine || !node.range) return;
      const first = lineOf(node.range[0]);
      const last = lineOf(Math.max(node.range[0], node.range[1] - 1));
      for (let line = first + 1; line <= last; line++) out.add(line);
    });
  }
  return out;
}

function analyzeSource(source: string): { lines: SourceLine[]; trailing: string[] } {
  const verbatim = verbatimLines(source);
  const lines: SourceLine[] = [];
  let trivia: string[] = [];
  splitLines(source).forEach((text, index) => {
    const trimmed = text.trim();
    if (!verbatim.has(index) && (trimmed === "" || trimmed.startsWith("#"))) {
      trivia.push(text);
      return;
    }
    const split = verbatim.has(index) ? { bare: text, comment: "" } : splitComment(text);
    lines.push({ text, ...split, trivia });
    trivia = [];
  });
  return { lines, trailing: trivia };
}

/** Splits `key: value  # comment` at the comment, ignoring `#` inside quoted scalars. */
function splitComment(line: string): { bare: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    const prev = i === 0 ? " " : line[i - 1] ?? " ";
    if (quote === '"') {
      if (ch === "\\") i++;
      else if (ch === '"') quote = undefined;
      continue;
    }
    if (quote === "'") {
      if (ch === "'" && line[i + 1] === "'") i++;
      else if (ch === "'") quote = undefined;
      continue;
    }
    if ((ch === '"' || ch === "'") && /[\s[{,:-]/.test(prev)) quote = ch;
    else if (ch === "#" && /\s/.test(prev)) {
      const bare = line.slice(0, i).trimEnd();
      return { bare, comment: line.slice(bare.length) };
    }
  }
  return { bare: line.trimEnd(), comment: "" };
}

/** `  - key:` → `  - key`: lines with the same signature are the "same" entry, edited. */
function signature(line: string): string {
  const m = /^(\s*(?:- )*)((?:"[^"]*"|'[^']*'|[^:#'"\s][^:#]*?)?)(:(?=\s|$)|$)/.exec(line);
  return m ? `${m[1] ?? ""}${m[2] ?? ""}` : line;
}

type Step = { kind: "same"; s: number; o: number } | { kind: "del"; s: number } | { kind: "ins"; o: number };

/** Line diff (LCS) between the source's bare lines and the new output. */
function diff(a: string[], b: string[]): Step[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const am = a.slice(prefix, a.length - suffix);
  const bm = b.slice(prefix, b.length - suffix);
  const width = bm.length + 1;
  const table = new Uint32Array((am.length + 1) * width);
  for (let i = am.length - 1; i >= 0; i--) {
    for (let j = bm.length - 1; j >= 0; j--) {
      table[i * width + j] = am[i] === bm[j] ? (table[(i + 1) * width + j + 1] ?? 0) + 1 : Math.max(table[(i + 1) * width + j] ?? 0, table[i * width + j + 1] ?? 0);
    }
  }
  const steps: Step[] = [];
  for (let k = 0; k < prefix; k++) steps.push({ kind: "same", s: k, o: k });
  let i = 0;
  let j = 0;
  while (i < am.length || j < bm.length) {
    if (i < am.length && j < bm.length && am[i] === bm[j]) {
      steps.push({ kind: "same", s: prefix + i++, o: prefix + j++ });
    } else if (j < bm.length && (i >= am.length || (table[i * width + j + 1] ?? 0) >= (table[(i + 1) * width + j] ?? 0))) {
      steps.push({ kind: "ins", o: prefix + j++ });
    } else {
      steps.push({ kind: "del", s: prefix + i++ });
    }
  }
  for (let k = 0; k < suffix; k++) steps.push({ kind: "same", s: a.length - suffix + k, o: b.length - suffix + k });
  return steps;
}

/** Section breaks survive when the entry under them is deleted; the entry's own comments don't. */
function keptTriviaOfDeleted(trivia: string[]): string[] {
  let lastBlank = -1;
  trivia.forEach((line, i) => {
    if (line.trim() === "") lastBlank = i;
  });
  return trivia.slice(0, lastBlank + 1);
}

function merge(source: SourceLine[], out: string[]): string[] {
  const result: string[] = [];
  let pending: string[] = [];
  const emit = (trivia: string[], line: string): void => {
    const joined = [...pending, ...trivia];
    // Avoid doubling the blank line where a carried section break meets the next one.
    const boundary = pending.length;
    result.push(...joined.filter((l, i) => !(i === boundary && i > 0 && l.trim() === "" && joined[i - 1]?.trim() === "")), line);
    pending = [];
  };
  const dropDeleted = (deleted: number[]): void => {
    for (const s of deleted) pending.push(...keptTriviaOfDeleted(source[s]?.trivia ?? []));
  };
  /** A replaced stretch: new lines inherit comments from the old line with the same key. */
  const replace = (deleted: number[], inserted: number[]): void => {
    let next = 0;
    for (const o of inserted) {
      const text = out[o] ?? "";
      const sig = signature(text);
      const match = deleted.findIndex((s, i) => i >= next && signature(source[s]?.bare ?? "") === sig);
      const old = match < 0 ? undefined : source[deleted[match] ?? -1];
      if (old === undefined) {
        emit([], text);
        continue;
      }
      dropDeleted(deleted.slice(next, match));
      next = match + 1;
      emit(old.trivia, `${text}${old.comment}`);
    }
    dropDeleted(deleted.slice(next));
  };
  let deleted: number[] = [];
  let inserted: number[] = [];
  for (const step of diff(
    source.map((l) => l.bare),
    out,
  )) {
    if (step.kind === "del") deleted.push(step.s);
    else if (step.kind === "ins") inserted.push(step.o);
    else {
      replace(deleted, inserted);
      deleted = [];
      inserted = [];
      const line = source[step.s];
      if (line) emit(line.trivia, line.text);
    }
  }
  replace(deleted, inserted);
  result.push(...pending);
  return result;
}
