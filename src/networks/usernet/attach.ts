// What an instance on user-v2 networks needs from them at start: its addresses (for cidata) and
// the names of the other instances (for its host resolver).
import type { LimaYAML } from "../../config/types.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { loadNetworksConfig, MODE_USER_V2, type NetworksConfig } from "../config.js";
import { formatIPv4, subnetOf } from "../ipv4.js";
import { leaseAddress, readNetworkHosts } from "./leases.js";

/** Index in `networks[]` -> user-v2 network name. */
function usernetIndexes(config: LimaYAML, cfg: NetworksConfig): Map<number, string> {
  const found = new Map<number, string>();
  (config.networks ?? []).forEach((nw, i) => {
    if (nw.lima && cfg.networks[nw.lima]?.mode === MODE_USER_V2) found.set(i, nw.lima);
  });
  return found;
}

/** Index in `networks[]` -> `IP/bits` of the instance's NIC on each user-v2 network. */
export async function usernetAddresses(instance: string, config: LimaYAML): Promise<Map<number, string>> {
  const cfg = loadNetworksConfig();
  const addresses = new Map<number, string>();
  for (const [i, name] of usernetIndexes(config, cfg)) {
    const nw = cfg.networks[name];
    const mac = config.networks?.[i]?.macAddress;
    if (nw?.gateway === undefined || !mac) throw new LimaError(`network ${q(name)} needs a gateway in networks.yaml and networks[${i}] a macAddress`);
    const subnet = subnetOf(nw.gateway, nw.netmask);
    // The gateway and the two addresses after the network address are the network's (Lima: gateway, host, DNS).
    const reserved = [nw.gateway, formatIPv4(subnet.base + 1), formatIPv4(subnet.base + 2)];
    addresses.set(i, `${await leaseAddress(name, subnet, mac, instance, reserved)}/${subnet.bits}`);
  }
  return addresses;
}

/** `lima-<instance>.internal` -> address, for every instance on the user-v2 networks of `config`, read when asked. */
export function usernetHosts(config: LimaYAML): () => Record<string, string> {
  const names = [...usernetIndexes(config, loadNetworksConfig()).values()];
  return () => Object.assign({}, ...names.map((name) => readNetworkHosts(name))) as Record<string, string>;
}

export function usesUsernet(config: LimaYAML): boolean {
  return usernetIndexes(config, loadNetworksConfig()).size > 0;
}
