import type { Command } from "commander";
import { serveDNSOn } from "../../hostresolver/server.js";
import { logger } from "../../log/logger.js";
import { LimaError } from "../../util/errors.js";
import { goQuote } from "../../util/goquote.js";
import { boolFlag, checkArgs } from "../flags.js";

const DO_NOT_USE = "DO NOT USE! THE COMMAND SYNTAX IS SUBJECT TO CHANGE!";

/** Go's strconv.Atoi, with its error text. */
function atoi(text: string): number {
  if (!/^[-+]?\d+$/.test(text)) throw new LimaError(`strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`);
  return Number(text);
}

async function debugDNS(args: readonly string[], ipv6: boolean): Promise<void> {
  const udpPort = atoi(args[0] ?? "");
  const tcpPort = args.length > 1 ? atoi(args[1] ?? "") : 0;
  await serveDNSOn({ ipv6, staticHosts: {} }, udpPort, tcpPort);
  logger.info(`Started srv (UDP ${udpPort}, TCP ${tcpPort})`);
  // Serves until killed, as Lima's.
  await new Promise<never>(() => undefined);
}

export function register(program: Command): Command {
  const cmd = program.command("debug", { hidden: true }).summary("Debug utilities").description(DO_NOT_USE);
  const dns = cmd.command("dns").usage("UDPPORT [TCPPORT]").summary("Debug built-in DNS").description(DO_NOT_USE).argument("[ports...]");
  boolFlag(dns, "-6, --ipv6", "Lookup IPv6 addresses too");
  dns.action(async (ports: string[], opts: { ipv6?: boolean }) => {
    checkArgs(dns, ports, 1, 2);
    await debugDNS(ports, opts.ipv6 === true);
  });
  return cmd;
}
