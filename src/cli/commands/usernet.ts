// `limactl usernet` (hidden): the daemon of a user-v2 network, started by the network reconcile
// of start/stop/delete (src/networks/reconcile.ts). Lima's flags; `--listen` (vz file-descriptor
// socket) and `--mtu` are accepted and have nothing to do here.
import type { Command } from "commander";
import { runUsernet } from "../../networks/usernet/daemon.js";
import { LimaError } from "../../util/errors.js";
import { checkArgs } from "../flags.js";
import { readFileSync } from "node:fs";
import path from "node:path";

/** cobra's StringToString: `a=b,c=d`. */
export function parseStringToString(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === "") return out;
  for (const pair of value.split(",")) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw new LimaError(`invalid argument "${value}" for "--leases" flag: ${pair} must be formatted as key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** leases.json beside the QEMU socket (the network directory), read at each request. */
function leasesReader(qemuSocket: string): () => Record<string, string> {
  const file = path.join(path.dirname(qemuSocket), "leases.json");
  return () => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    } catch {
      return {};
    }
  };
}

interface UsernetFlags {
  pidfile: string;
  endpoint: string;
  listenQemu: string;
  listen: string;
  subnet: string;
  mtu: string;
  leases: string;
}

export function register(program: Command): Command {
  const cmd = program.command("usernet", { hidden: true }).usage("[flags]").summary("Run usernet").description("Run usernet").argument("[args...]");
  cmd.option("-p, --pidfile <string>", "Write PID to file", "");
  cmd.option("-e, --endpoint <string>", "Exposes usernet API(s) on this endpoint", "");
  cmd.option("--listen-qemu <string>", "Listen for QMEU connections", "");
  cmd.option("--listen <string>", "Listen on a Unix socket and receive Bess-compatible FDs as SCM_RIGHTS messages", "");
  cmd.option("--subnet <string>", "Sets subnet value for the usernet network", "192.168.5.0/24");
  cmd.option("--mtu <int>", "mtu", "1500");
  cmd.option("--leases <stringToString>", "Pass default static leases for startup. Eg: '192.168.104.1=52:55:55:b3:bc:d9,192.168.104.2=5a:94:ef:e4:0c:df' ", "");
  cmd.action(async (_a: string[], opts: UsernetFlags) => {
    checkArgs(cmd, cmd.args, 0, 0);
    if (!/^\d+$/.test(opts.mtu)) throw new LimaError(`invalid argument "${opts.mtu}" for "--mtu" flag: strconv.ParseInt: parsing "${opts.mtu}": invalid syntax`);
    await runUsernet({
      pidfile: opts.pidfile,
      endpoint: opts.endpoint,
      listenQemu: opts.listenQemu,
      subnet: opts.subnet,
      leases: parseStringToString(opts.leases),
      readLeases: leasesReader(opts.listenQemu),
    });
  });
  return cmd;
}
