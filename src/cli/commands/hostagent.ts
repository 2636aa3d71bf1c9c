import path from "node:path";
import type { Command } from "commander";
import { instanceDir } from "../../store/dirnames.js";
import { HostAgentPID } from "../../store/filenames.js";
import { runHostAgent, StopRequest } from "../../hostagent/hostagent.js";
import { configureLogger } from "../../log/logger.js";
import { LimaError } from "../../util/errors.js";
import { boolFlag, checkArgs } from "../flags.js";
import { globals } from "../globals.js";

export function register(program: Command): Command {
  const cmd = program
    .command("hostagent", { hidden: true })
    .usage("INSTANCE")
    .summary("Run hostagent")
    .description("Run the host agent of an instance (used internally by `limactl start`)")
    .argument("[instance]")
    .option("-p, --pidfile <file>", "PID file")
    .option("--socket <path>", "Path of hostagent socket")
    .option("--guestagent <path>", "Local file path (not URL) of lima-guestagent.OS-ARCH[.gz]")
    .option("--nerdctl-archive <path>", "Local file path (not URL) of nerdctl-full-VERSION-GOOS-GOARCH.tar.gz");
  // As in Lima, only a driver that can run a GUI (vz) uses it; QEMU opens its own display window,
  // so with QEMU the flag changes nothing, in Lima and here alike.
  boolFlag(cmd, "--run-gui", "Run GUI synchronously within hostagent");
  boolFlag(cmd, "--progress", "Show provision script progress by tailing cloud-init logs");
  cmd.action(async (_a: string | undefined, opts: { pidfile?: string; socket?: string; guestagent?: string; nerdctlArchive?: string; progress?: boolean }) => {
    // First of all: from here on SIGINT/SIGTERM stop the VM (once started) instead of orphaning it.
    const stop = new StopRequest();
    checkArgs(cmd, cmd.args, 1, 1);
    if (!opts.socket) throw new LimaError("socket must be specified (limactl version mismatch?)");
    const name = cmd.args[0] ?? "";
    // Validates the name before anything is written, even an explicit pid file.
    const dir = instanceDir(name);
    // The host agent logs JSON on stderr (ha.stderr.log); `limactl start` re-renders it.
    configureLogger({ format: "json", level: globals().debug ? "trace" : "debug", isTTY: false });
    try {
      await runHostAgent(name, {
        pidFile: opts.pidfile ?? path.join(dir, HostAgentPID),
        socket: opts.socket,
        debug: globals().debug,
        guestAgentBinary: opts.guestagent,
        nerdctlArchive: opts.nerdctlArchive,
        progress: opts.progress === true,
      }, stop);
    } finally {
      // The host agent is a process of its own: once it is done, nothing it started (a listener
      // left open by a failed set-up, ssh children) may keep it alive.
      setTimeout(() => process.exit(), 200).unref();
    }
  });
  return cmd;
}

