// Go's net.SplitHostPort / JoinHostPort for `host:port` and `[ipv6]:port` texts.

/** `host:port` or `[host]:port`; undefined without a port or when malformed. */
export function splitHostPort(text: string): { host: string; port: string } | undefined {
  const colon = text.lastIndexOf(":");
  if (colon < 0) return undefined;
  const bracketed = text.startsWith("[");
  const close = bracketed ? text.indexOf("]") : -1;
  if (bracketed && close + 1 !== colon) return undefined;
  const host = bracketed ? text.slice(1, close) : text.slice(0, colon);
  if (!bracketed && host.includes(":")) return undefined;
  if (text.slice(bracketed ? 1 : 0).includes("[") || text.slice(close + 1).includes("]")) return undefined;
  return { host, port: text.slice(colon + 1) };
}
