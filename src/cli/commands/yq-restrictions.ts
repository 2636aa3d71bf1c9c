// A help topic, not a command (Lima: cmd/limactl/yq_restrictions.go): `limactl help yq-restrictions`.
import type { Command } from "commander";
import { HELP_TOPIC_GROUP } from "../help.js";

const TOPIC = `Lima uses yq (v4) syntax for the --set flag and provision mode "yq".

Lima embeds yqlib (https://github.com/mikefarah/yq) as a library and
disables several operators to prevent template expressions from reading
the host environment or executing arbitrary commands:

  Disabled by Lima:
    - env               (environment variable access)
    - load, load_str    (arbitrary file reads)

  Disabled by yqlib default:
    - system            (arbitrary command execution)

These restrictions exist because --set expressions and provision.yq
expressions may come from untrusted template files. Allowing them to
access environment variables, read files, or execute commands on the
host would be a security risk.

For full yq v4 expression syntax, see:
  https://mikefarah.gitbook.io/yq/`;

export function register(program: Command): Command {
  const cmd = program.command("yq-restrictions").summary("Restrictions on yq expressions in Lima").description(TOPIC).helpGroup(HELP_TOPIC_GROUP);
  // cobra's help of a command that does not run: its long text and a blank line.
  cmd.configureHelp({ formatHelp: () => `${TOPIC}\n\n` });
  cmd.action(() => cmd.outputHelp());
  return cmd;
}
