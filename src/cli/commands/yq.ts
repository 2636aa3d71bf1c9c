import type { Command } from "commander";
import { runYqCLI } from "../../yq/index.js";

/** `limactl yq` is the whole yq CLI; main.ts routes it before commander (flags are yq's own). */
export async function runYq(args: string[]): Promise<number> {
  return runYqCLI(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}

export function register(program: Command): Command {
  return program
    .command("yq", { hidden: true }) // Lima's yq is a multi-call binary, not a listed command
    .summary("Query YAML/JSON/XML/CSV files")
    .description("Use `limactl yq` as yq (https://github.com/mikefarah/yq)")
    .allowUnknownOption()
    .helpOption(false)
    .argument("[args...]")
    .action(async (args: string[]) => {
      process.exitCode = await runYq(args);
    });
}
