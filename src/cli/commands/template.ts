import { writeFileSync } from "node:fs";
import { ADVANCED_GROUP } from "../help.js";
import type { Command } from "commander";
import YAML from "yaml";
import { templateCopy, transformCustomURL } from "../../templates/index.js";
import { LimaError } from "../../util/errors.js";
import { colorize, evaluateJSON } from "../../yq/index.js";
import { outputIsTTY } from "../../util/tty.js";
import { toJSONObject } from "../../config/index.js";
import { boolFlag, checkArgs } from "../flags.js";
import { filledYAML, loadTemplateFilled } from "../templatefill.js";
import { defineValidate } from "./validate.js";

interface CopyOptions {
  embed?: boolean;
  embedAll?: boolean;
  fill?: boolean;
  verbatim?: boolean;
}

function writeOutput(dest: string, text: string): void {
  if (dest === "-") process.stdout.write(text);
  else writeFileSync(dest, text, { mode: 0o644 });
}

export function register(program: Command): Command {
  const tmpl = program.command("template").alias("tmpl").summary("Lima template management (EXPERIMENTAL)").helpGroup(ADVANCED_GROUP).description("Lima template management (EXPERIMENTAL)");

  const copy = tmpl.command("copy").usage("[OPTIONS] TEMPLATE [DEST]").summary("Copy template").description("Copy a template, optionally embedding its bases and filling defaults").argument("[args...]");
  boolFlag(copy, "--embed", "Embed external dependencies into template");
  boolFlag(copy, "--embed-all", "Embed all dependencies into template");
  boolFlag(copy, "--fill", "Fill defaults");
  boolFlag(copy, "--verbatim", "Don't make locators absolute");
  copy.action(async (_a: string[], opts: CopyOptions) => {
    checkArgs(copy, copy.args, 1, 2);
    const [locator = "", dest = "-"] = copy.args;
    if (opts.verbatim && (opts.embed || opts.embedAll || opts.fill)) throw new LimaError("--verbatim cannot be used with any of --embed, --embed-all, or --fill");
    if (opts.fill) {
      const filled = await loadTemplateFilled(locator, { defaultBase: true, validate: false });
      writeOutput(dest, filledYAML(filled.config));
      return;
    }
    writeOutput(dest, await templateCopy(locator, { embed: opts.embed === true, embedAll: opts.embedAll === true, verbatim: opts.verbatim === true }));
  });

  defineValidate(tmpl.command("validate"));

  const yq = tmpl.command("yq").usage("TEMPLATE EXPR").summary("Query template expressions").description("Query a template filled with defaults, using a yq expression").argument("[args...]");
  yq.action(async () => {
    checkArgs(yq, yq.args, 2, 2);
    const [locator = "", expr = ""] = yq.args;
    const filled = await loadTemplateFilled(locator, { defaultBase: true, validate: false });
    const tty = outputIsTTY();
    for (const v of evaluateJSON(expr, toJSONObject(filled.config))) {
      if (typeof v === "string") process.stdout.write(`${v}\n`);
      else process.stdout.write(tty ? colorize(YAML.stringify(v, { lineWidth: 0 })) : YAML.stringify(v, { indentSeq: false, lineWidth: 0 }));
    }
  });

  const url = tmpl.command("url").usage("CUSTOM_URL").summary("Transform custom template URLs to regular file or https URLs").description("Transform custom template URLs to regular file or https URLs").argument("[args...]");
  url.action(async () => {
    checkArgs(url, url.args, 1, 1);
    process.stdout.write(`${await transformCustomURL(url.args[0] ?? "")}\n`);
  });
  return tmpl;
}
