import type { Command } from "commander";
import { BASIC_GROUP } from "../help.js";
import { DEFAULT_TIMEOUT_MS, startInstance } from "../../instance/start.js";
import { LimaError } from "../../util/errors.js";
import { boolFlag, checkArgs } from "../flags.js";
import { globals } from "../globals.js";
import { loadOrCreateInstance } from "../instanceargs.js";
import { warnUnimplementedFields } from "../unimplemented.js";
import { handleListFlags, registerCreateCommonFlags } from "./create.js";

/** Go duration strings as cobra accepts them: `10m0s`, `90s`, `1h30m`, `500ms`. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * (units[m[2] ?? "s"] ?? 0);
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== s.length) throw new LimaError(`invalid argument ${JSON.stringify(s)} for "--timeout" flag: time: invalid duration ${JSON.stringify(s)}`);
  return total;
}

export function register(program: Command): Command {
  const cmd = program
    .command("start")
    .usage("NAME|FILE.yaml|URL")
    .summary("Start an instance of Lima")
    .helpGroup(BASIC_GROUP)
    .description("Start an instance of Lima. If the instance does not exist, open an editor for creating new one, with name \"default\"")
    .argument("[instance]")
    .option("--timeout <duration>", "Duration to wait for the instance to be running before timing out", "10m0s");
  boolFlag(cmd, "--foreground", "Run the hostagent in the foreground");
  boolFlag(cmd, "--progress", "Show provision script progress by tailing cloud-init logs");
  registerCreateCommonFlags(cmd, "[limactl create] ");
  cmd.action(async () => {
    checkArgs(cmd, cmd.args, 0, 1);
    if (handleListFlags(cmd.opts())) return;
    const opts = cmd.opts<{ timeout: string; foreground?: boolean; progress?: boolean }>();
    const timeoutMs = opts.timeout ? parseDuration(opts.timeout) : DEFAULT_TIMEOUT_MS;
    const { instance } = await loadOrCreateInstance(cmd, cmd.args[0] ?? "", false);
    if (instance.status !== "Running") await warnUnimplementedFields(instance);
    await startInstance(instance, { timeoutMs, debug: globals().debug, foreground: opts.foreground === true, progress: opts.progress === true });
  });
  return cmd;
}
