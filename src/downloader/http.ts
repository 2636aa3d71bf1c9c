// GET/HEAD with Go's client behaviour: redirects followed (stopped after 10 requests), non-2xx is an error.
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { LimaError, errorMessage } from "../util/errors.js";
import { goQuote } from "../util/goquote.js";

export type Method = "GET" | "HEAD";

const MAX_REQUESTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Servers see the same client as with Lima.
const USER_AGENT = "Go-http-client/1.1";

/** The final 2xx response; the caller must consume or destroy its body. */
export async function httpRequest(method: Method, url: string): Promise<IncomingMessage> {
  let current = url;
  for (let requests = 1; ; requests++) {
    const response = await requestOnce(method, current).catch((err: unknown) => {
      throw urlError(method, current, errorMessage(err), err);
    });
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (REDIRECT_STATUSES.has(status) && location !== undefined) {
      response.resume();
      if (requests >= MAX_REQUESTS) throw urlError(method, current, `stopped after ${MAX_REQUESTS} redirects`);
      current = new URL(location, current).toString();
      continue;
    }
    if (status < 200 || status > 299) {
      response.resume();
      throw urlError(method, current, `unexpected HTTP status ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd());
    }
    return response;
  }
}

function requestOnce(method: Method, url: string): Promise<IncomingMessage> {
  const parsed = new URL(url);
  const client = parsed.protocol === "https:" ? https : parsed.protocol === "http:" ? http : undefined;
  if (client === undefined) return Promise.reject(new Error(`unsupported protocol scheme ${goQuote(parsed.protocol.replace(/:$/, ""))}`));
  return new Promise((resolve, reject) => {
    const request = client.request(parsed, { method, headers: { "User-Agent": USER_AGENT } }, resolve);
    request.on("error", reject);
    request.end();
  });
}

/** Go's *url.Error text: `Get "URL": reason`. */
function urlError(method: Method, url: string, reason: string, cause?: unknown): LimaError {
  const verb = method === "GET" ? "Get" : "Head";
  return new LimaError(`${verb} ${goQuote(url)}: ${reason}`, { cause });
}
