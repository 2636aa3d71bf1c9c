// CLI plugins (Lima: pkg/plugins): executables named `limactl-<name>` in the directories of the
// running limactl, in $PATH and in <prefix>/libexec/lima (or lib/lima). `limactl <name> ARGS...`
// runs the first one found for <name>; `limactl-url-<scheme>` ones resolve template locators.
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from "node:fs";
import path from "node:path";
import { logger } from "../log/logger.js";
import { isExecutableFile } from "../util/fsutil.js";

export interface Plugin {
  name: string;
  path: string;
  description?: string;
}

export const PLUGIN_PREFIX = "limactl-";
/** Plugins for template locator schemes (`limactl-url-<scheme>`): hidden from help. */
export const URL_PLUGIN_PREFIX = "url-";

/** Exit status of a plugin killed by a signal: Go's ExitCode() is -1, and os.Exit(-1) is 255. */
const SIGNALLED_EXIT_CODE = 255;

/** Where the running limactl lives: as invoked (symlinks kept), then its real location if different. */
export function selfDirs(script: string | undefined = process.argv[1]): string[] {
  if (!script) return [];
  const invoked = path.dirname(path.resolve(script));
  let real = invoked;
  try {
    real = path.dirname(realpathSync(script));
  } catch {
    // a script that cannot be resolved keeps its invoked location
  }
  return real === invoked ? [invoked] : [invoked, real];
}

function isNonEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/** `<prefix>/libexec/lima` and (Homebrew) `<prefix>/lib/lima` of each self dir, when not empty. */
export function libexecLimaDirs(dirs: readonly string[] = selfDirs()): string[] {
  const found: string[] = [];
  for (const dir of dirs) {
    const prefix = path.dirname(dir);
    for (const candidate of [path.join(prefix, "libexec", "lima"), path.join(prefix, "lib", "lima")]) {
      if (isNonEmptyDir(candidate)) found.push(candidate);
    }
  }
  return found;
}

/** The directories searched for plugins, in order; also the PATH a plugin runs with. */
export function pluginDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const self = selfDirs();
  const fromPath = (env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
  return [...self, ...fromPath, ...libexecLimaDirs(self)];
}

function startsWithShebang(file: string): boolean {
  const head = Buffer.alloc(2);
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString("latin1") === "#!";
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The text of the first `<limactl-desc>…</limactl-desc>` on one line of a script, spaces trimmed. */
export function descriptionOf(script: string): string | undefined {
  const match = /<limactl-desc>(.*?)<\/limactl-desc>/.exec(script);
  const desc = match?.[1]?.replace(/^ +| +$/g, "");
  return desc ? desc : undefined;
}

/** The plugins in one directory, in directory order (an unreadable directory has none). */
export function scanPluginDir(dir: string): Plugin[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    logger.debug(`Plugin discovery: failed to scan directory ${dir}: ${String(err)}`);
    return [];
  }
  const plugins: Plugin[] = [];
  for (const file of names) {
    if (!file.startsWith(PLUGIN_PREFIX)) continue;
    const full = path.join(dir, file);
    if (!isExecutableFile(full)) continue;
    const plugin: Plugin = { name: file.slice(PLUGIN_PREFIX.length), path: full };
    const description = startsWithShebang(full) ? descriptionOf(readFileSync(full, "utf8")) : undefined;
    if (description !== undefined) plugin.description = description;
    plugins.push(plugin);
  }
  return plugins;
}

/** Every plugin, the first found for each name, sorted by name. */
export function discoverPlugins(dirs: readonly string[] = pluginDirs()): Plugin[] {
  const byName = new Map<string, Plugin>();
  for (const dir of dirs) {
    for (const plugin of scanPluginDir(dir)) if (!byName.has(plugin.name)) byName.set(plugin.name, plugin);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function findPlugin(name: string, dirs: readonly string[] = pluginDirs()): Plugin | undefined {
  return discoverPlugins(dirs).find((p) => p.name === name);
}

/** The environment plugins run with: PATH replaced by the plugin directories (Lima's UpdatePath). */
export function pluginEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: pluginDirs(env).join(path.delimiter) };
}

/**
 * Runs a plugin with the terminal and the given arguments; resolves to the status limactl exits
 * with. A plugin that cannot be started rejects (Lima: ``external command `PATH` failed: ...``).
 */
export function runPlugin(plugin: Plugin, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(plugin.path, args, { stdio: "inherit", env: pluginEnv() });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(signal !== null ? SIGNALLED_EXIT_CODE : (code ?? 0)));
  });
}
