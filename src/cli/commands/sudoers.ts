import type { Command } from "commander";
import path from "node:path";
import { limaConfigDir } from "../../store/dirnames.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { boolFlag, checkArgs } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

const SOCKET_VMNET_URL = "https://lima-vm.io/docs/config/network/vmnet/#socket_vmnet";

// socket_vmnet is macOS only: on Linux Lima has the command (for its docs) and refuses to run it.
export function register(program: Command): Command {
  const cmd = program
    .command("sudoers")
    .usage("[--check [SUDOERSFILE-TO-CHECK]]")
    .summary("Generate the content of the /etc/sudoers.d/lima file")
    .description(
      "Generate the content of the /etc/sudoers.d/lima file for enabling vmnet.framework support (socket_vmnet) on macOS.\n" +
        "The content is written to stdout, NOT to the file.\n" +
        "This command must not run as the root user.\n" +
        `See ${SOCKET_VMNET_URL} for the usage.`,
    )
    .helpGroup(ADVANCED_GROUP)
    .argument("[file]");
  boolFlag(cmd, "--check", `check that the sudoers file is up-to-date with ${q(path.join(limaConfigDir(), "networks.yaml"))}`);
  cmd.action(() => {
    checkArgs(cmd, cmd.args, 0, 1);
    throw new LimaError("sudoers command is only supported on macOS right now");
  });
  return cmd;
}
