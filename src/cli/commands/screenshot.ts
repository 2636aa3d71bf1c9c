// `limactl screenshot INSTANCE [-o FILE]` (Lima: cmd/limactl/screenshot.go): the host agent asks
// the driver for an image of the VM's display.
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { logger } from "../../log/logger.js";
import { getScreenshot } from "../../store/hostagentclient.js";
import { HostAgentSock } from "../../store/filenames.js";
import { inspect } from "../../store/store.js";
import { errorMessage, LimaError } from "../../util/errors.js";
import { goQuote } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

/** The image format an output path asks for by its extension. */
export function screenshotFormat(outputPath: string): "png" | "bmp" {
  const ext = path.extname(outputPath);
  switch (ext.toLowerCase()) {
    case ".png":
      return "png";
    case ".bmp":
      return "bmp";
    default:
      throw new LimaError(`unsupported output extension ${goQuote(ext)}: must be .png or .bmp`);
  }
}

async function screenshotAction(name: string, output: string | undefined): Promise<void> {
  const inst = await inspect(name);
  if (inst.status !== "Running") throw new LimaError(`instance ${goQuote(name)} is not running (status: ${inst.status})`);
  const outputPath = output || `${name}-screenshot.png`;
  const format = screenshotFormat(outputPath);
  let data: Buffer;
  try {
    data = await getScreenshot(path.join(inst.dir, HostAgentSock), format);
  } catch (err) {
    throw new LimaError(`screenshot failed: ${errorMessage(err)}`, { cause: err });
  }
  try {
    writeFileSync(outputPath, data, { mode: 0o644 });
  } catch (err) {
    throw new LimaError(`failed to write ${goQuote(outputPath)}: ${errorMessage(err)}`, { cause: err });
  }
  logger.info(`Screenshot saved to ${goQuote(outputPath)} (${data.length} bytes)`);
}

export function register(program: Command): Command {
  const cmd = program
    .command("screenshot")
    .usage("INSTANCE")
    .summary("Capture a screenshot of the VM display")
    .description("Capture a screenshot of the VM display")
    .helpGroup(ADVANCED_GROUP)
    .argument("[args...]")
    .option("-o, --output <path>", "Output path; extension must be .png or .bmp (default: INSTANCE-screenshot.png)")
    .action(async (_a: string[], opts: { output?: string }) => {
      checkArgs(cmd, cmd.args, 1, 1);
      await screenshotAction(cmd.args[0] ?? "", opts.output);
    });
  return cmd;
}
