import type { Command } from "commander";
import { BASIC_GROUP } from "../help.js";
import { stopForcibly, stopGracefully } from "../../instance/stop.js";
import { inspect } from "../../store/store.js";
import { reconcileNetworks } from "../../networks/reconcile.js";
import { joinErrors } from "../../util/errors.js";
import { boolFlag } from "../flags.js";

export function register(program: Command): Command {
  const cmd = program
    .command("stop")
    .usage("INSTANCE [INSTANCE, ...]")
    .summary("Stop an instance")
    .helpGroup(BASIC_GROUP)
    .description("Stop an instance")
    .argument("[instances...]");
  boolFlag(cmd, "-f, --force", "Force stop the instance");
  cmd.action(async (_a: string[], opts: { force?: boolean }) => {
    const names = cmd.args.length > 0 ? cmd.args : ["default"];
    const errors: Error[] = [];
    for (const name of names) {
      try {
        const inst = await inspect(name);
        if (opts.force) await stopForcibly(inst);
        else await stopGracefully(inst);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    await reconcileNetworks();
    const joined = joinErrors(errors);
    if (joined) throw joined;
  });
  return cmd;
}
