// The guest's /etc/environment block: `env:` from lima.yaml plus the host's proxy variables,
// with proxies on the host loopback redirected to the SLIRP gateway (the guest's view of the host).
import { lookup } from "node:dns/promises";
import net from "node:net";
import { logger } from "../log/logger.js";
import { q } from "../util/goquote.js";

const LOWER_PROXY_VARS = ["ftp_proxy", "http_proxy", "https_proxy", "no_proxy"] as const;
const PROXY_VARS: readonly string[] = [...LOWER_PROXY_VARS, ...LOWER_PROXY_VARS.map((name) => name.toUpperCase())];

/** Resolves a host name to its IP addresses; empty when it does not resolve. */
export type ResolveHost = (host: string) => Promise<string[]>;

export const resolveHost: ResolveHost = async (host) => {
  if (host === "") return [];
  try {
    return (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch (err) {
    logger.debug(`net.LookupIP ${host}: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
};

export interface EnvSources {
  /** `env:` from lima.yaml. */
  configEnv: Record<string, string>;
  /** Host process environment (only the proxy variables are read). */
  processEnv: NodeJS.ProcessEnv;
  propagateProxyEnv: boolean;
  slirpGateway: string;
  resolve?: ResolveHost;
}

/** The variables for `etc_environment`. Host system proxy settings (macOS) are not consulted. */
export async function guestEnvironment(sources: EnvSources): Promise<Record<string, string>> {
  const env: Record<string, string> = { ...sources.configEnv };
  if (sources.propagateProxyEnv) copyProxyVars(env, sources.processEnv);
  for (const name of PROXY_VARS) {
    const value = env[name];
    if (value === undefined) continue;
    if (value === "") {
      delete env[name];
      continue;
    }
    if (name.toLowerCase() === "no_proxy") continue;
    const rewritten = await redirectLoopbackProxy(value, sources.slirpGateway, sources.resolve ?? resolveHost);
    if (rewritten !== value) {
      logger.info(`Replacing ${q(name)} value ${q(value)} with ${q(rewritten)}`);
      env[name] = rewritten;
    }
  }
  syncProxyCase(env);
  return env;
}

function copyProxyVars(env: Record<string, string>, processEnv: NodeJS.ProcessEnv): void {
  for (const name of PROXY_VARS) {
    const value = processEnv[name];
    if (value === undefined) continue;
    const previous = env[name];
    if (previous !== undefined && previous !== value) {
      logger.info(`Overriding ${q(name)} value ${q(previous)} with ${q(value)} from limactl process environment`);
    }
    env[name] = value;
  }
}

// scheme://[userinfo@]host[:port][rest]; anything else (e.g. `host:port` without a scheme) has no host
// as Go's url.Parse sees it, so it is left alone.
const URL_WITH_HOST = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)(:\d*)?(.*)$/s;

/** A proxy URL whose host resolves to a loopback address now points at `gateway` (port kept). */
export async function redirectLoopbackProxy(value: string, gateway: string, resolve: ResolveHost): Promise<string> {
  const m = URL_WITH_HOST.exec(value);
  if (!m) return value;
  const [, scheme = "", userinfo = "", host = "", port = "", rest = ""] = m;
  const hostname = host.startsWith("[") ? host.slice(1, -1) : host;
  const addresses = await resolve(hostname);
  if (!addresses.some(isLoopback)) return value;
  const newPort = port === ":" ? "" : port;
  return `${scheme}${userinfo}${gateway}${newPort}${rest}`;
}

function isLoopback(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith("127.");
  const lower = ip.toLowerCase();
  return lower === "::1" || /^::ffff:127\./.test(lower);
}

/** Upper-case forms follow the lower-case ones; a lone upper-case value is copied down. */
function syncProxyCase(env: Record<string, string>): void {
  for (const lower of LOWER_PROXY_VARS) {
    const upper = lower.toUpperCase();
    const lowerValue = env[lower];
    const upperValue = env[upper];
    if (lowerValue !== undefined) {
      if (upperValue !== undefined && upperValue !== lowerValue) {
        logger.warn(`Changing ${q(upper)} value from ${q(upperValue)} to ${q(lowerValue)} to match ${q(lower)}`);
      }
      env[upper] = lowerValue;
    } else if (upperValue !== undefined) {
      env[lower] = upperValue;
    }
  }
}
