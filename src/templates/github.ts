// `github:ORG[/REPO][/PATH][@REF]` locators (experimental in Lima): raw.githubusercontent.com URLs,
// default branches from the GitHub API, and one-line "symlink"/redirect files.
import { LimaError } from "../util/errors.js";
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

async function defaultBranch(org: string, repo: string, endpoints: GitHubEndpoints): Promise<string> {
  const resp = await fetch(`${endpoints.api}/repos/${org}/${repo}`, { headers: githubHeaders() });
  const body = await resp.text();
  if (resp.status !== 200) throw new LimaError(`GitHub API returned status ${resp.status}: ${body}`);
  const data = JSON.parse(body) as { default_branch?: unknown };
  if (typeof data.default_branch !== "string" || data.default_branch === "") {
    throw new LimaError(`repository ${org}/${repo} has no default branch`);
  }
  return data.default_branch;
}

async function getRaw(loc: GitHubLocator, branch: string, endpoints: GitHubEndpoints): Promise<{ url: string; resp: Response }> {
  const url = rawContentURL(loc, branch, endpoints);
  const resp = await fetch(url, { headers: { "User-Agent": "lima" } });
  return { url: resp.url || url, resp };
}

async function resolveSymlink(loc: GitHubLocator, branch: string, endpoints: GitHubEndpoints): Promise<string> {
  const { url, resp } = await getRaw(loc, branch, endpoints);
  // In `github:ORG//` repos a missing file on the requested ref may be a redirect on the default branch.
  if (resp.status === 404 && loc.repo === loc.org) {
    const fallback = await defaultBranch(loc.org, loc.repo, endpoints).catch(() => undefined);
    if (fallback !== undefined) return resolveRedirect(loc, fallback, branch, endpoints);
  }
  if (resp.status !== 200) throw new LimaError(`file ${q(url)} not found or inaccessible: status ${resp.status}`);
  const content = (await resp.text()).slice(0, 1024);
  if (loc.repo === loc.org && content.startsWith("github:")) return validateRedirect(content, loc.org, loc.branch, url);
  if (content === "" || /[\n :]/.test(content)) return rawContentURL(loc, branch, endpoints);
  const target = joinPath(dirPath(loc.filePath), content);
  if (escapesRepo(target)) throw new LimaError(`symlink target ${q(content)} in ${q(loc.filePath)} escapes the repository`);
  return rawContentURL({ ...loc, filePath: target }, branch, endpoints);
}

async function resolveRedirect(loc: GitHubLocator, fetchRef: string, propagateRef: string, endpoints: GitHubEndpoints): Promise<string> {
  const { url, resp } = await getRaw(loc, fetchRef, endpoints);
  if (resp.status !== 200) throw new LimaError(`file ${q(url)} not found or inaccessible: status ${resp.status}`);
  return validateRedirect(await resp.text(), loc.org, propagateRef, url);
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
