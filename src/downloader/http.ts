// GET/HEAD with Go's client behaviour: redirects followed (stopped after 10 requests), non-2xx is an
// error unless the caller wants it, HTTP_PROXY/HTTPS_PROXY/NO_PROXY honoured (./proxy.ts; https:
// through CONNECT). Unlike Go's default client it gives up on a server that stalls (see the timeouts below).
import { once } from "node:events";
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import net, { type Socket } from "node:net";
import tls from "node:tls";
import { LimaError, errorMessage } from "../util/errors.js";
import { goQuote } from "../util/goquote.js";
import { hostOf, portOf, proxyForUrl } from "./proxy.js";

export type Method = "GET" | "HEAD";

export interface HttpTimeouts {
  /** Until the connection can carry the request: TCP connect, proxy CONNECT and TLS handshakes. */
  connectMs: number;
  /** The longest silence from the server, while waiting for the response or inside its body. */
  idleMs: number;
}

/** Go's default transport, which Lima downloads with, gives up dialing after 30 s. */
export const CONNECT_TIMEOUT_MS = 30_000;
/** Go's default client waits forever on a stalled server; 30 s without a byte is a dead server, not a slow one. */
export const IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: CONNECT_TIMEOUT_MS, idleMs: IDLE_TIMEOUT_MS };

const MAX_REQUESTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Servers and proxies see the same client as with Lima.
const USER_AGENT = "Go-http-client/1.1";

export interface HttpRequestOptions {
  timeouts?: HttpTimeouts;
  /** Sent with every request of the redirect chain (Go's rules drop credentials on a redirect to another host); may replace User-Agent. */
  headers?: Readonly<Record<string, string>>;
  /** Resolve with a final non-2xx response too, for callers that act on the status (default: it is an error). */
  anyStatus?: boolean;
}

export interface HttpResponse {
  /** The URL the response came from, after redirects (Go's resp.Request.URL). */
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  /** The caller must consume or destroy it. */
  body: IncomingMessage;
}

/** The final response (2xx unless `anyStatus`) of `url`. */
export async function httpRequest(method: Method, url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  let current = url;
  let headers = options.headers ?? {};
  for (let requests = 1; ; requests++) {
    const response = await requestOnce(method, current, headers, timeouts).catch((err: unknown) => {
      throw urlError(method, current, errorMessage(err), err);
    });
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (REDIRECT_STATUSES.has(status) && location !== undefined) {
      response.resume();
      if (requests >= MAX_REQUESTS) throw urlError(method, current, `stopped after ${MAX_REQUESTS} redirects`);
      const next = new URL(location, current).toString();
      headers = headersForRedirect(options.headers ?? {}, url, next);
      current = next;
      continue;
    }
    if (!options.anyStatus && (status < 200 || status > 299)) {
      response.resume();
      throw urlError(method, current, `unexpected HTTP status ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd());
    }
    return { url: current, status, headers: response.headers, body: response };
  }
}

const SENSITIVE_HEADERS = new Set(["authorization", "www-authenticate", "cookie", "cookie2"]);

/** Like Go, credentials follow a redirect only to the first request's host or one of its subdomains. */
function headersForRedirect(headers: Readonly<Record<string, string>>, from: string, to: string): Readonly<Record<string, string>> {
  const fromHost = new URL(from).hostname.toLowerCase();
  const toHost = new URL(to).hostname.toLowerCase();
  if (toHost === fromHost || toHost.endsWith(`.${fromHost}`)) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !SENSITIVE_HEADERS.has(name.toLowerCase())));
}

/**
 * At most `maxBytes` of the body; `complete` is false when it had more, which is then not read.
 * A body that fails or stalls (the idle timeout) rejects.
 */
export async function readBody(body: IncomingMessage, maxBytes: number): Promise<{ bytes: Buffer; complete: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const data = chunk as Buffer;
    chunks.push(data);
    total += data.length;
    if (total > maxBytes) {
      body.destroy();
      return { bytes: Buffer.concat(chunks).subarray(0, maxBytes), complete: false };
    }
  }
  return { bytes: Buffer.concat(chunks), complete: true };
}

async function requestOnce(method: Method, url: string, headers: Readonly<Record<string, string>>, timeouts: HttpTimeouts): Promise<IncomingMessage> {
  const target = new URL(url);
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new Error(`unsupported protocol scheme ${goQuote(target.protocol.replace(/:$/, ""))}`);
  }
  const proxy = proxyForUrl(target);
  const socket = await withDeadline(timeouts.connectMs, (dial) => connect(dial, target, proxy));
  return send({ method, target, proxy, headers }, socket, timeouts.idleMs);
}

/** The sockets opened while connecting, and the step under way for the timeout's message. */
class Dial {
  step = "";
  private readonly sockets: Socket[] = [];

  track<T extends Socket>(socket: T): T {
    this.sockets.push(socket);
    return socket;
  }

  destroy(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

async function withDeadline(timeoutMs: number, run: (dial: Dial) => Promise<Socket>): Promise<Socket> {
  const dial = new Dial();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${dial.step} timed out after ${seconds(timeoutMs)}`)), timeoutMs);
  });
  try {
    return await Promise.race([run(dial), expired]);
  } catch (err) {
    dial.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function connect(dial: Dial, target: URL, proxy: URL | undefined): Promise<Socket> {
  if (proxy === undefined) return open(dial, target, "");
  if (proxy.protocol !== "http:" && proxy.protocol !== "https:") {
    throw new Error(`proxyconnect: unsupported proxy scheme ${goQuote(proxy.protocol.replace(/:$/, ""))}; set HTTP_PROXY/HTTPS_PROXY to an http:// or https:// proxy`);
  }
  const proxySocket = await open(dial, proxy, "proxy ").catch((err: unknown) => {
    throw new Error(`proxyconnect tcp: ${errorMessage(err)}`, { cause: err });
  });
  // http: requests go to the proxy as they are; https: ones through a tunnel, end-to-end encrypted.
  if (target.protocol === "http:") return proxySocket;
  return startTls(dial, await tunnel(dial, proxySocket, target, proxy), target, "");
}

/** TCP to the URL's host and port, then TLS for https:. */
async function open(dial: Dial, url: URL, role: string): Promise<Socket> {
  dial.step = `connecting to ${role}${authority(url)}`;
  const socket = dial.track(net.connect({ host: hostOf(url), port: Number(portOf(url)) }));
  await once(socket, "connect");
  return url.protocol === "https:" ? startTls(dial, socket, url, role) : socket;
}

async function startTls(dial: Dial, socket: Socket, url: URL, role: string): Promise<Socket> {
  dial.step = `TLS handshake with ${role}${authority(url)}`;
  const host = hostOf(url);
  // SNI takes names only; the certificate is checked against `host` either way.
  const secure = dial.track(tls.connect({ socket, host, ...(net.isIP(host) ? {} : { servername: host }) }));
  await once(secure, "secureConnect");
  return secure;
}

async function tunnel(dial: Dial, proxySocket: Socket, target: URL, proxy: URL): Promise<Socket> {
  const destination = authority(target);
  dial.step = `CONNECT ${destination} through proxy ${authority(proxy)}`;
  const request = http.request({
    method: "CONNECT",
    path: destination,
    headers: { Host: destination, "User-Agent": USER_AGENT, ...basicAuth("Proxy-Authorization", proxy) },
    createConnection: () => proxySocket,
  });
  request.end();
  const [response, socket, head] = (await once(request, "connect")) as [IncomingMessage, Socket, Buffer];
  const status = response.statusCode ?? 0;
  if (status !== 200) {
    throw new Error(`proxyconnect: proxy ${authority(proxy)} refused CONNECT ${destination}: ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd());
  }
  if (head.length > 0) socket.unshift(head);
  return socket;
}

interface Outgoing {
  method: Method;
  target: URL;
  proxy: URL | undefined;
  headers: Readonly<Record<string, string>>;
}

/** Sends the request on a ready connection; from now on `idleMs` of silence aborts it, headers or body. */
function send({ method, target, proxy, headers }: Outgoing, socket: Socket, idleMs: number): Promise<IncomingMessage> {
  const forward = proxy !== undefined && target.protocol === "http:";
  const request = http.request({
    method,
    // A proxy gets the absolute URL (without credentials or fragment), a server the path.
    path: forward ? `${target.origin}${target.pathname}${target.search}` : `${target.pathname}${target.search}`,
    headers: withOverrides(
      {
        Host: target.host,
        "User-Agent": USER_AGENT,
        ...basicAuth("Authorization", target),
        ...(forward && proxy ? basicAuth("Proxy-Authorization", proxy) : {}),
      },
      headers,
    ),
    createConnection: () => socket,
  });
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    socket.setTimeout(idleMs, () => {
      const stalled = new Error(`no data received for ${seconds(idleMs)}`);
      if (response) response.destroy(stalled);
      else request.destroy(stalled);
    });
    request.on("error", reject);
    request.on("response", (res: IncomingMessage) => {
      response = res;
      res.on("end", () => socket.setTimeout(0));
      resolve(res);
    });
    request.end();
  });
}

/** `defaults` with `overrides` replacing headers of the same name, whatever their case. */
function withOverrides(defaults: Record<string, string>, overrides: Readonly<Record<string, string>>): Record<string, string> {
  const replaced = new Set(Object.keys(overrides).map((name) => name.toLowerCase()));
  const kept = Object.entries(defaults).filter(([name]) => !replaced.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...overrides };
}

/** `user:password@` of a URL as a Basic credential header, as Go sends it. */
function basicAuth(header: string, url: URL): Record<string, string> {
  if (url.username === "" && url.password === "") return {};
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { [header]: `Basic ${Buffer.from(credentials).toString("base64")}` };
}

/** `host:port` with the scheme's default port and IPv6 in brackets; never credentials. */
function authority(url: URL): string {
  const host = hostOf(url);
  return `${host.includes(":") ? `[${host}]` : host}:${portOf(url)}`;
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}

/** Go's *url.Error text: `Get "URL": reason`. */
function urlError(method: Method, url: string, reason: string, cause?: unknown): LimaError {
  const verb = method === "GET" ? "Get" : "Head";
  return new LimaError(`${verb} ${goQuote(url)}: ${reason}`, { cause });
}
