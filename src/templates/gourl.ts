// The parts of Go's net/url.Parse that locator handling depends on: WHATWG URL parsing differs
// (it never yields opaque `template:x` URLs and rejects many locators Go accepts).

export interface GoURL {
  /** Lower-cased scheme, "" for plain paths. */
  scheme: string;
  /** The part after `scheme:` when it does not start with `/` (e.g. `template:_images/ubuntu`). */
  opaque: string;
  host: string;
  path: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** Undefined where Go's url.Parse returns an error. */
export function parseGoURL(raw: string): GoURL | undefined {
  if (raw.startsWith(":")) return undefined;
  const withoutFragment = raw.split("#", 1)[0] ?? "";
  const match = SCHEME.exec(withoutFragment);
  const scheme = match ? (match[1] ?? "").toLowerCase() : "";
  let rest = match ? withoutFragment.slice(match[0].length) : withoutFragment;
  if (rest.includes("?")) rest = rest.slice(0, rest.indexOf("?"));
  if (scheme !== "" && !rest.startsWith("/")) return { scheme, opaque: rest, host: "", path: "" };
  if (rest.startsWith("//") && (scheme !== "" || !rest.startsWith("///"))) {
    const authorityEnd = rest.indexOf("/", 2);
    const authority = authorityEnd < 0 ? rest.slice(2) : rest.slice(2, authorityEnd);
    const host = authority.slice(authority.lastIndexOf("@") + 1);
    return { scheme, opaque: "", host, path: authorityEnd < 0 ? "" : rest.slice(authorityEnd) };
  }
  if (scheme === "" && (rest.split("/", 1)[0] ?? "").includes(":")) return undefined;
  return { scheme, opaque: "", host: "", path: rest };
}

/** A URL whose scheme is longer than a Windows drive letter. */
export function hasURLScheme(locator: string): boolean {
  return (parseGoURL(locator)?.scheme.length ?? 0) > 1;
}

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Go's path.Join: empty elements are ignored, and all-empty yields "". */
export function joinPath(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== "");
  return nonEmpty.length === 0 ? "" : cleanPath(nonEmpty.join("/"));
}

/** Go's path.Dir. */
export function dirPath(p: string): string {
  const slash = p.lastIndexOf("/");
  return cleanPath(p.slice(0, slash + 1));
}

/** Go's path.Base. */
export function basePath(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
