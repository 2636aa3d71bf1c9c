// `limactl shell --preserve-env`: which host variables may travel into the guest.
import { LimaError } from "./errors.js";
import { q } from "./goquote.js";

/** The default block list, in Lima's order (also `limactl info`'s `shellEnvBlock`). */
export const SHELL_ENV_BLOCK: readonly string[] = [
  "BASH*", "DISPLAY", "DYLD_*", "EUID", "FPATH", "GID", "GROUP", "HOME", "HOSTNAME", "LD_*", "LOGNAME", "OLDPWD",
  "PATH", "PWD", "SHELL", "SHLVL", "SSH_*", "TERM", "TERMINFO", "TMPDIR", "UID", "USER", "XAUTHORITY", "XDG_*",
  "ZDOTDIR", "ZSH*", "_*",
];

function parseList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function toRegExp(pattern: string, envName: string): RegExp {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c !== "*" && !/[A-Za-z0-9_]/.test(c)) {
      throw new LimaError(`Invalid ${envName} pattern: pattern ${q(pattern)} contains invalid character ${q(c)} at position ${i}`);
    }
  }
  return new RegExp(`^${pattern.replace(/\*/g, ".*")}$`);
}

/** The block list after LIMA_SHELLENV_BLOCK (replace, or extend with a leading `+`). */
export function blockPatterns(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.LIMA_SHELLENV_BLOCK;
  if (!raw) return [...SHELL_ENV_BLOCK];
  if (raw.startsWith("+")) return [...SHELL_ENV_BLOCK, ...parseList(raw.slice(1))];
  return parseList(raw);
}

/** Host variables that pass the block/allow lists, as `K=V` strings. */
export function filterEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const block = blockPatterns(env).map((p) => toRegExp(p, "LIMA_SHELLENV_BLOCK"));
  const allow = parseList(env.LIMA_SHELLENV_ALLOW ?? "").map((p) => toRegExp(p, "LIMA_SHELLENV_ALLOW"));
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    const allowed = allow.some((r) => r.test(k));
    if (!allowed && block.some((r) => r.test(k))) continue;
    out.push(`${k}=${v}`);
  }
  return out.sort();
}
