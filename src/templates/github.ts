// `github:ORG[/REPO][/PATH][@REF]` locators (experimental in Lima): raw.githubusercontent.com URLs,
// default branches from the GitHub API, and one-line "symlink"/redirect files.
import { httpRequest, readBody } from "../downloader/http.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { basePath, cleanPath, dirPath, joinPath } from "./gourl.js";

const DEFAULT_FILENAME = ".lima.yaml";

export interface GitHubEndpoints {
  api: string;
  raw: string;
}

export const GITHUB: GitHubEndpoints = { api: "https://api.github.com", raw: "https://raw.githubusercontent.com" };

export interface GitHubLocator {
  org: string;
  repo: string;
  filePath: string;
  /** "" when the default branch must be looked up. */
  branch: string;
}

function escapesRepo(p: string): boolean {
  const cleaned = cleanPath(p);
  return cleaned === ".." || cleaned.startsWith("../");
}

/** Splits the part after `github:` and applies the REPO and PATH defaults. */
export function parseGitHubLocator(input: string): GitHubLocator {
  const at = input.indexOf("@");
  const spec = at < 0 ? input : input.slice(0, at);
  const branch = at < 0 ? "" : input.slice(at + 1);
  const parts = spec.split("/");
  const org = parts[0] ?? "";
  if (org === "") throw new LimaError(`github: URL must contain at least an ORG, got ${q(spec)}`);
  const repo = parts[1] || org;
  let filePath = parts.slice(2).join("/");
  if (repo === "..") throw new LimaError(`repo ${q(repo)} in github: URL ${q(spec)} escapes the org`);
  if (escapesRepo(filePath)) throw new LimaError(`path ${q(filePath)} in github: URL ${q(spec)} escapes the repository`);
  if (escapesRepo(branch)) throw new LimaError(`branch ${q(branch)} in github: URL ${q(spec)} escapes the repository`);
  return { org, repo, filePath: withDefaultFile(filePath), branch };
}

function withDefaultFile(filePath: string): string {
  if (filePath === "") return DEFAULT_FILENAME;
  const withFile = filePath.endsWith("/") ? filePath + DEFAULT_FILENAME : filePath;
  // A leading dot marks a hidden file, not an extension.
  return basePath(withFile).slice(1).includes(".") ? withFile : `${withFile}.yaml`;
}

export function rawContentURL(loc: GitHubLocator, branch: string, endpoints: GitHubEndpoints = GITHUB): string {
  return `${endpoints.raw}/${loc.org}/${loc.repo}/${branch}/${cleanPath(loc.filePath)}`;
}

/** One transformation step of a `github:` locator (the part after the scheme) to its next locator. */
export async function transformGitHubURL(input: string, endpoints: GitHubEndpoints = GITHUB): Promise<string> {
  const loc = parseGitHubLocator(input);
  let branch = loc.branch;
  if (branch === "") {
    try {
      branch = await defaultBranch(loc.org, loc.repo, endpoints);
    } catch (err) {
      throw new LimaError(`failed to get default branch for ${loc.org}/${loc.repo}: ${(err as Error).message}`, { cause: err });
    }
  }
  const ext = loc.filePath.slice(loc.filePath.lastIndexOf(".")).toLowerCase();
  if (ext !== ".yaml" && ext !== ".yml") return rawContentURL(loc, branch, endpoints);
  return resolveSymlink(loc, branch, endpoints);
}

function githubHeaders(): Record<string, string> {
  const headers: Record<string, string> = { "User-Agent": "lima", Accept: "application/vnd.github.v3+json" };
  const token = process.env.GH_TOKEN || process.env.GITHUB_TOKEN;
  if (token) headers.Authorization = `token ${token}`;
  return headers;
}

/** A repository's JSON or a redirect file is a few KiB; what lies beyond this is not read. */
const BODY_BYTES_LIMIT = 1024 * 1024;
/** Enough of a file to tell a one-line symlink or redirect from a template (as Lima reads it). */
const SYMLINK_BYTES_LIMIT = 1024;

async function defaultBranch(org: string, repo: string, endpoints: GitHubEndpoints): Promise<string> {
  const body = await get(`${endpoints.api}/repos/${org}/${repo}`, githubHeaders(), BODY_BYTES_LIMIT).catch((err: unknown) => {
    throw new LimaError(`failed to query GitHub API: ${errorMessage(err)}`, { cause: err });
  });
  if (body.status !== 200) throw new LimaError(`GitHub API returned status ${body.status}: ${body.text}`);
  let data: { default_branch?: unknown };
  try {
    data = JSON.parse(body.text) as { default_branch?: unknown };
  } catch (err) {
    throw new LimaError(`failed to parse GitHub API response: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof data.default_branch !== "string" || data.default_branch === "") {
    throw new LimaError(`repository ${org}/${repo} has no default branch`);
  }
  return data.default_branch;
}

interface Fetched {
  /** After redirects. */
  url: string;
  status: number;
  /** At most the requested number of bytes. */
  text: string;
}

/** GET through the downloader's client (proxy variables, timeouts); any status is returned. */
async function get(url: string, headers: Record<string, string>, maxBytes: number): Promise<Fetched> {
  const response = await httpRequest("GET", url, { headers, anyStatus: true });
  const { bytes } = await readBody(response.body, maxBytes);
  return { url: response.url, status: response.status, text: bytes.toString("utf8") };
}

async function getRaw(loc: GitHubLocator, branch: string, endpoints: GitHubEndpoints, maxBytes: number): Promise<Fetched> {
  return get(rawContentURL(loc, branch, endpoints), { "User-Agent": "lima" }, maxBytes).catch((err: unknown) => {
    throw new LimaError(`failed to fetch file: ${errorMessage(err)}`, { cause: err });
  });
}

async function resolveSymlink(loc: GitHubLocator, branch: string, endpoints: GitHubEndpoints): Promise<string> {
  const raw = await getRaw(loc, branch, endpoints, SYMLINK_BYTES_LIMIT);
  // In `github:ORG//` repos a missing file on the requested ref may be a redirect on the default branch.
  if (raw.status === 404 && loc.repo === loc.org) {
    const fallback = await defaultBranch(loc.org, loc.repo, endpoints).catch(() => undefined);
    if (fallback !== undefined) return resolveRedirect(loc, fallback, branch, endpoints);
  }
  if (raw.status !== 200) throw new LimaError(`file ${q(raw.url)} not found or inaccessible: status ${raw.status}`);
  const content = raw.text;
  if (loc.repo === loc.org && content.startsWith("github:")) return validateRedirect(content, loc.org, loc.branch, raw.url);
  if (content === "" || /[\n :]/.test(content)) return rawContentURL(loc, branch, endpoints);
  const target = joinPath(dirPath(loc.filePath), content);
  if (escapesRepo(target)) throw new LimaError(`symlink target ${q(content)} in ${q(loc.filePath)} escapes the repository`);
  return rawContentURL({ ...loc, filePath: target }, branch, endpoints);
}

async function resolveRedirect(loc: GitHubLocator, fetchRef: string, propagateRef: string, endpoints: GitHubEndpoints): Promise<string> {
  const raw = await getRaw(loc, fetchRef, endpoints, BODY_BYTES_LIMIT);
  if (raw.status !== 200) throw new LimaError(`file ${q(raw.url)} not found or inaccessible: status ${raw.status}`);
  return validateRedirect(raw.text, loc.org, propagateRef, raw.url);
}

/** A redirect must stay within `github:ORG/` and must not pin a ref; the requested ref is carried over. */
export function validateRedirect(body: string, org: string, ref: string, url: string): string {
  const redirect = (body.split("\n", 1)[0] ?? "").trim();
  if (!redirect.startsWith(`github:${org}/`)) {
    throw new LimaError(`redirect ${q(redirect)} is not a \`github:${org}\` URL (from ${q(url)})`);
  }
  if (redirect.includes("@")) throw new LimaError(`redirect ${q(redirect)} must not include a branch/tag/sha (from ${q(url)})`);
  return ref === "" ? redirect : `${redirect}@${ref}`;
}
