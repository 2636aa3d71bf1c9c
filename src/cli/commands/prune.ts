import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { ADVANCED_GROUP } from "../help.js";
import path from "node:path";
import type { Command } from "commander";
import type { LimaYAML } from "../../config/types.js";
import { cacheKey } from "../../downloader/index.js";
import { logger } from "../../log/logger.js";
import { instanceDir, limaCacheDir } from "../../store/dirnames.js";
import { LimaYAML as LimaYAMLFile } from "../../store/filenames.js";
import { instanceNames, loadInstanceConfig } from "../../store/store.js";
import { listTemplates } from "../../templates/index.js";
import { errorMessage, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { boolFlag, checkArgs } from "../flags.js";
import { loadTemplateFilled } from "../templatefill.js";

/** Every URL a config may download: images, kernels, initrds, containerd archives, firmware. */
export function referencedLocations(config: LimaYAML): string[] {
  const out: string[] = [];
  for (const img of config.images ?? []) {
    out.push(img.location);
    if (img.kernel) out.push(img.kernel.location);
    if (img.initrd) out.push(img.initrd.location);
  }
  for (const a of config.containerd?.archives ?? []) out.push(a.location);
  for (const f of config.firmware?.images ?? []) out.push(f.location);
  return out;
}

async function referencedKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const name of instanceNames()) {
    if (!existsSync(path.join(instanceDir(name), LimaYAMLFile))) {
      throw new LimaError(`cannot safely prune while instance ${q(name)} is being used: ${q(instanceDir(name))} has no lima.yaml`);
    }
    try {
      for (const loc of referencedLocations(await loadInstanceConfig(name))) keys.add(cacheKey(loc));
    } catch (err) {
      logger.warn(`Skipping instance ${q(name)}: ${errorMessage(err)}`);
    }
  }
  for (const t of listTemplates()) {
    try {
      const filled = await loadTemplateFilled(t.location, { defaultBase: true, validate: false });
      for (const loc of referencedLocations(filled.config)) keys.add(cacheKey(loc));
    } catch (err) {
      logger.debug(`Skipping template ${q(t.name)}: ${errorMessage(err)}`);
    }
  }
  return keys;
}

export function register(program: Command): Command {
  const cmd = program.command("prune").summary("Prune garbage objects").helpGroup(ADVANCED_GROUP).description("Prune garbage objects").argument("[args...]");
  boolFlag(cmd, "--keep-referred", "Keep objects that are referred by some instances or templates");
  cmd.action(async (_a: string[], opts: { keepReferred?: boolean }) => {
    checkArgs(cmd, cmd.args, 0, 0);
    const cache = limaCacheDir();
    if (!opts.keepReferred) {
      logger.info(`Pruning ${q(cache)}`);
      rmSync(cache, { recursive: true, force: true });
      return;
    }
    const keep = await referencedKeys();
    const byURL = path.join(cache, "download", "by-url-sha256");
    if (!existsSync(byURL)) return;
    for (const key of readdirSync(byURL)) {
      const entry = path.join(byURL, key);
      if (keep.has(key)) {
        for (const f of readdirSync(entry)) if (f.startsWith("data.tmp.") || f === "data.part") rmSync(path.join(entry, f), { force: true });
        continue;
      }
      let url = key;
      try {
        url = readFileSync(path.join(entry, "url"), "utf8");
      } catch {
        // An entry without url file is garbage too.
      }
      logger.info(`Deleting ${q(url)}`);
      rmSync(entry, { recursive: true, force: true });
    }
  });
  return cmd;
}
