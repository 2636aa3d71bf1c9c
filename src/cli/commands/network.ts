// `limactl network list|create|delete` on `_config/networks.yaml` (spec: lima-cli-config.md §2.17).
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { logger } from "../../log/logger.js";
import { loadNetworksConfig, MODE_USER_V2, type NetworkSpec, networksConfigFile } from "../../networks/config.js";
import { formatIPv4, gatewayString, maskOf, parseCIDR } from "../../networks/ipv4.js";
import { LimaError } from "../../util/errors.js";
import { goQuote, q } from "../../util/goquote.js";
import { tabwrite } from "../../util/tabwriter.js";
import { evaluateExpression } from "../../yq/index.js";
import { boolFlag, checkArgs } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

const CREATE_EXAMPLE = `  Create a network:
  $ limactl network create foo --gateway 192.168.42.1/24

  Connect VM instances to the newly created network:
  $ limactl create --network lima:foo --name vm1
  $ limactl create --network lima:foo --name vm2
`;

const NETWORK_EXAMPLE = `  List all networks:
  $ limactl network list

${CREATE_EXAMPLE}
  Delete a network:
  $ limactl network delete --force foo
`;

/** One JSON line of `list --json`: Go's field order, empty fields left out. */
function jsonLine(name: string, nw: NetworkSpec): string {
  return JSON.stringify({ name, mode: nw.mode, interface: nw.interface, gateway: nw.gateway, dhcpEnd: nw.dhcpEnd, netmask: nw.netmask });
}

function listNetworks(args: readonly string[], json: boolean): void {
  const cfg = loadNetworksConfig();
  const all = Object.keys(cfg.networks).sort();
  const names = args.length === 0 ? all : args.flatMap((arg) => {
    if (all.includes(arg)) return [arg];
    logger.warn(`No network matching ${arg} found.`);
    return [];
  });
  if (json) {
    for (const name of names) process.stdout.write(`${jsonLine(name, cfg.networks[name] as NetworkSpec)}\n`);
    return;
  }
  const rows = [["NAME", "MODE", "GATEWAY", "INTERFACE"]];
  for (const name of names) {
    const nw = cfg.networks[name] as NetworkSpec;
    rows.push([name, nw.mode, nw.gateway === undefined ? "-" : gatewayString(nw.gateway, nw.netmask), nw.interface ?? "-"]);
  }
  process.stdout.write(tabwrite(rows));
}

/** Lima's networkApplyYQ: the expression applied to the file, comments kept. */
function applyYQ(expression: string): void {
  const file = networksConfigFile();
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new LimaError(`open ${file}: no such file or directory`, { cause: err });
  }
  writeFileSync(file, evaluateExpression(expression, text), { mode: 0o644 });
}

interface CreateOptions {
  mode: string;
  gateway: string;
  interface: string;
}

/** The yq assignment that adds the network, after Lima's checks of the flags. */
export function createExpression(name: string, opts: CreateOptions): string {
  const key = `.networks.${goQuote(name)}`;
  if (opts.mode === "bridged") {
    if (opts.gateway !== "") throw new LimaError(`network mode ${q(opts.mode)} does not support specifying gateway`);
    if (opts.interface === "") throw new LimaError(`network mode ${q(opts.mode)} requires specifying interface`);
    return `${key} = {"mode":${goQuote(opts.mode)},"interface":${goQuote(opts.interface)}}`;
  }
  if (opts.gateway === "") throw new LimaError(`network mode ${q(opts.mode)} requires specifying gateway`);
  if (opts.interface !== "") throw new LimaError(`network mode ${q(opts.mode)} does not support specifying interface`);
  const gateway = opts.gateway.includes("/") ? opts.gateway : `${opts.gateway}/24`;
  let cidr;
  try {
    cidr = parseCIDR(gateway);
  } catch (err) {
    throw new LimaError(`failed to parse CIDR ${q(gateway)}: ${(err as Error).message}`, { cause: err });
  }
  const ip = formatIPv4(cidr.ip);
  if (cidr.ip === 0 || ip.startsWith("127.")) throw new LimaError(`invalid IP address: ${ip}`);
  const netmask = formatIPv4(maskOf(cidr.bits));
  return `${key} = {"mode":${goQuote(opts.mode)},"gateway":${goQuote(ip)},"netmask":${goQuote(netmask)},"interface":${goQuote(opts.interface)}}`;
}

function registerList(parent: Command): void {
  const list = parent.command("list").alias("ls").usage("[flags]").summary("List networks").description("List networks").argument("[networks...]");
  list.addHelpText("after", `\nExamples:\n  List all networks:\n  $ limactl network list\n\n  List networks in JSON format:\n  $ limactl network list --json\n`);
  boolFlag(list, "--json", "JSONify output");
  list.action((_a: string[], opts: { json?: boolean }) => listNetworks(list.args, opts.json === true));
}

function registerCreate(parent: Command): void {
  const create = parent.command("create").usage("NETWORK [flags]").summary("Create a Lima network").description("Create a Lima network").argument("[network...]");
  create.addHelpText("after", `\nExamples:\n${CREATE_EXAMPLE}`);
  create.option("--mode <string>", "mode", MODE_USER_V2);
  create.option("--gateway <string>", 'gateway, e.g., "192.168.42.1/24"', "");
  create.option("--interface <string>", "interface for bridged mode", "");
  create.action((_a: string[], opts: CreateOptions) => {
    checkArgs(create, create.args, 1, 1);
    const name = create.args[0] ?? "";
    // Loading writes networks.yaml when it does not exist yet.
    const cfg = loadNetworksConfig();
    if (cfg.networks[name] !== undefined) throw new LimaError(`network ${q(name)} already exists`);
    applyYQ(createExpression(name, opts));
  });
}

function registerDelete(parent: Command): void {
  const del = parent.command("delete").aliases(["remove", "rm"]).usage("NETWORK [NETWORK, ...] [flags]").summary("Delete one or more Lima networks").description("Delete one or more Lima networks").argument("[networks...]");
  del.addHelpText("after", `\nExamples:\n  Delete a network:\n  $ limactl network delete --force foo\n\n  Delete multiple networks:\n  $ limactl network delete --force foo bar\n`);
  boolFlag(del, "-f, --force", "Force delete (currently always required)");
  del.action((_a: string[], opts: { force?: boolean }) => {
    checkArgs(del, del.args, 1);
    // The networks are not checked for use, hence the flag.
    if (!opts.force) throw new LimaError("`limactl network delete` currently always requires `--force`");
    applyYQ(del.args.map((name) => `del(.networks.${goQuote(name)})`).join(" | "));
  });
}

export function register(program: Command): Command {
  const network = program.command("network").summary("Lima network management").helpGroup(ADVANCED_GROUP).description("Lima network management");
  network.addHelpText("after", `\nExamples:\n${NETWORK_EXAMPLE}`);
  registerList(network);
  registerCreate(network);
  registerDelete(network);
  return network;
}
