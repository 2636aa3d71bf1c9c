import { spawn } from "node:child_process";
import type { Command } from "commander";
import { freeTCPPort } from "../../hostagent/hostagent.js";
import { logger } from "../../log/logger.js";
import type { Instance } from "../../store/instance.js";
import { sshCommand } from "../../sshutil/command.js";
import { sshAddressOf, sshArgs, sshOpts } from "../../sshutil/sshutil.js";
import { LimaError } from "../../util/errors.js";
import { goQuote, q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";
import { inspectExisting, stoppedInstanceError } from "../instances.js";

/** Lima refuses privileged ports for the proxy. */
const MIN_SOCKS_PORT = 1024;
const MAX_PORT = 65535;

/** What Lima prints on Linux once the proxy is up. */
export function tunnelInstructions(port: number, hostname: string): string {
  return `Set \`ALL_PROXY=socks5h://127.0.0.1:${port}\`, etc.\nThe instance can be connected from the host as <http://${hostname}.internal> via a web browser.\n`;
}

/** `ssh -q -f -N -D 127.0.0.1:PORT`: ssh goes to the background once the proxy listens (Lima's way). */
export function tunnelSSHArgs(inst: Instance, socksPort: number): string[] {
  return [
    ...sshArgs(sshOpts(inst.dir, inst.config ?? {})),
    "-q",
    "-f",
    "-N",
    "-D",
    `127.0.0.1:${socksPort}`,
    "-p",
    String(inst.sshLocalPort ?? 0),
    sshAddressOf(inst),
  ];
}

function parseSocksPort(value: string): number {
  if (!/^[-+]?\d+$/.test(value)) throw new LimaError(`invalid argument ${goQuote(value)} for "--socks-port" flag: strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`);
  const port = Number(value);
  if (port !== 0 && (port < MIN_SOCKS_PORT || port > MAX_PORT)) throw new LimaError(`invalid socks port ${port}`);
  return port;
}

/** Runs ssh ($SSH) with its stdout and stderr on our stderr, as Lima; resolves once it has gone to the background. */
function runSSH(args: readonly string[]): Promise<void> {
  const [exe = "ssh", ...prefix] = sshCommand();
  logger.debug(`executing ssh (may take a long)): [${[exe, ...prefix, ...args].join(" ")}]`);
  return new Promise((resolve, reject) => {
    // Inherited, not piped: the ssh that stays in the background must not hold a pipe of ours
    // (it points its own stdio at /dev/null once it forks).
    const child = spawn(exe, [...prefix, ...args], { stdio: ["ignore", 2, 2] });
    child.on("error", (err: NodeJS.ErrnoException) => reject(new LimaError(err.code === "ENOENT" ? `exec: ${goQuote(exe)}: executable file not found in $PATH` : err.message)));
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new LimaError(signal ? `signal: ${signal}` : `exit status ${code}`))));
  });
}

async function tunnel(name: string, type: string, socksPortFlag: string): Promise<void> {
  if (type !== "socks") throw new LimaError(`unknown tunnel type: ${q(type)}`);
  let port = parseSocksPort(socksPortFlag);
  const inst = await inspectExisting(name);
  if (inst.status === "Stopped") throw stoppedInstanceError(name);
  if (port === 0) port = await freeTCPPort();
  await runSSH(tunnelSSHArgs(inst, port));
  process.stdout.write(tunnelInstructions(port, inst.hostname));
}

export function register(program: Command): Command {
  const cmd = program
    .command("tunnel")
    .usage("[flags] INSTANCE")
    .summary("Create a tunnel for Lima")
    .description("Create a tunnel for Lima\n\nCreate a SOCKS tunnel so that the host can join the guest network.")
    .helpGroup(ADVANCED_GROUP)
    .argument("[args...]")
    // Lima: flags only before INSTANCE.
    .passThroughOptions()
    .option("--type <type>", 'Tunnel type, currently only "socks" is implemented', "socks")
    .option("--socks-port <port>", "SOCKS port, defaults to a random port", "0");
  cmd.action(async (args: string[], opts: { type: string; socksPort: string }) => {
    checkArgs(cmd, args, 1, 1);
    logger.warn("`limactl tunnel` is experimental");
    await tunnel(args[0] ?? "", opts.type, opts.socksPort);
  });
  return cmd;
}
