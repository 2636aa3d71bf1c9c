// `limactl generate-jsonschema [FILES...]` (hidden, Lima: cmd/limactl/genschema.go): prints the JSON
// schema of lima.yaml, or writes it to --schemafile and checks each FILE against it.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { parse as parseYAML } from "yaml";
import { validateAgainstSchema } from "../../config/jsonschema.js";
import { logger } from "../../log/logger.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { packageRoot } from "../../util/pkgroot.js";

/** Written by `npm run build` from src/config/types.ts (scripts/limayaml-schema.ts). */
export function schemaFile(): string {
  return path.join(packageRoot(), "dist", "schema-limayaml.json");
}

function readSchema(): { text: string; schema: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(schemaFile(), "utf8").trimEnd();
  } catch (err) {
    throw new LimaError(`${schemaFile()} is missing: run \`npm run build\`, which generates it from src/config/types.ts`, { cause: err });
  }
  return { text, schema: JSON.parse(text) as Record<string, unknown> };
}

function validateFile(schemafile: string, schema: Record<string, unknown>, file: string): void {
  const doc: unknown = parseYAML(readFileSync(file, "utf8"));
  const problem = validateAgainstSchema(schema, doc, pathToFileURL(path.resolve(schemafile)).href);
  if (problem !== undefined) throw new LimaError(`${q(file)}: ${problem}`);
  logger.info(`${q(file)}: OK`);
}

export function register(program: Command): Command {
  const cmd = program
    .command("generate-jsonschema", { hidden: true })
    .usage("[flags]")
    .summary("Generate json-schema document")
    .description("Generate json-schema document")
    .option("--schemafile <file>", "Output file", "")
    .argument("[files...]");
  cmd.action((files: string[], opts: { schemafile: string }) => {
    const { text, schema } = readSchema();
    if (files.length === 0) {
      process.stdout.write(`${text}\n`);
      return;
    }
    if (opts.schemafile === "") throw new LimaError("need --schemafile to validate");
    writeFileSync(opts.schemafile, text);
    for (const file of files) validateFile(opts.schemafile, schema, file);
  });
  return cmd;
}
