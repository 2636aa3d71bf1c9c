import type { Command } from "commander";
import { logger } from "../../log/logger.js";
import { sshAddressOf, sshOpts } from "../../sshutil/sshutil.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";
import { inspectExisting } from "../instances.js";

function quoteValue(kv: string): string {
  return kv.includes('"') ? `'${kv}'` : kv;
}

export function register(program: Command): Command {
  const cmd = program
    .command("show-ssh")
    .usage("[flags] INSTANCE")
    .summary("Show the ssh command line (DEPRECATED; use `ssh -F` instead)")
    .description("Show the ssh command line (DEPRECATED; use `ssh -F` instead)")
    .argument("[instance]")
    .option("-f, --format <format>", "Format: cmd, args, options, config", "cmd");
  cmd.action(async (_a: string | undefined, opts: { format: string }) => {
    checkArgs(cmd, cmd.args, 1, 1);
    const inst = await inspectExisting(cmd.args[0] ?? "");
    logger.warn(`\`limactl show-ssh\` is deprecated. Instead, use \`ssh -F ${inst.dir}/ssh.config lima-${inst.name}\`.`);
    const options = [...sshOpts(inst.dir, inst.config ?? {}), `Hostname=${sshAddressOf(inst)}`, `Port=${inst.sshLocalPort ?? 0}`];
    for (const o of options) if (/[\r\n]/.test(o)) throw new LimaError(`option ${q(o)} contains a line break`);
    const host = `lima-${inst.name}`;
    switch (opts.format) {
      case "cmd":
        process.stdout.write(`ssh ${options.map((o) => `-o ${quoteValue(o)}`).join(" ")} ${host}\n`);
        return;
      case "args":
        process.stdout.write(`${options.map((o) => `-o ${quoteValue(o)}`).join(" ")}\n`);
        return;
      case "options":
        process.stdout.write(options.map((o) => `${o}\n`).join(""));
        return;
      case "config":
        process.stdout.write(`Host ${host}\n${options.map((o) => `  ${o.replace("=", " ")}\n`).join("")}\n`);
        return;
      default:
        throw new LimaError(`unknown format: ${q(opts.format)}`);
    }
  });
  return cmd;
}
