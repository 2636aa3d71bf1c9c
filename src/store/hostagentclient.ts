// Client of the host agent's REST API on `ha.sock` (HTTP/1.1 over a unix socket, host `lima-hostagent`).
// One GET is a few lines over node:net. node:http would cost more than the request itself: loading
// it, and its agent compiling the IPv6 address pattern on first use, add ~15 ms to every
// `limactl shell` and every `ls` of a running instance.
import net from "node:net";
import { LimaError } from "../util/errors.js";

export interface HostAgentInfo {
  autoStartedIdentifier?: string;
  sshLocalPort?: number;
}

export interface HTTPResponse {
  status: number;
  body: string;
}

export interface HTTPBytesResponse {
  status: number;
  data: Buffer;
}

export async function getHostAgentInfo(socketPath: string, timeoutMs = 3000): Promise<HostAgentInfo> {
  const res = await httpGet(socketPath, "/v1/info", timeoutMs);
  if (res.status !== 200) throw new LimaError(`expected status 200, got ${res.status}: ${res.body.trim()}`);
  return JSON.parse(res.body) as HostAgentInfo;
}

/** GET `target` with `Connection: close`, reading the response until the server closes. */
export async function httpGet(socketPath: string, target: string, timeoutMs: number): Promise<HTTPResponse> {
  const res = await httpGetBytes(socketPath, target, timeoutMs);
  return { status: res.status, body: res.data.toString("utf8") };
}

/** httpGet with the body as bytes (images). */
export function httpGetBytes(socketPath: string, target: string, timeoutMs: number): Promise<HTTPBytesResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path: socketPath });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new LimaError(`timed out after ${timeoutMs / 1000}s waiting for ${socketPath}`)), timeoutMs);
    socket.on("connect", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: lima-hostagent\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("end", () => {
      clearTimeout(timer);
      try {
        resolve(parseHTTPResponseBytes(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** Status and body of a whole HTTP/1.x response; the body as Content-Length or chunked encoding gives it. */
export function parseHTTPResponse(raw: Buffer): HTTPResponse {
  const res = parseHTTPResponseBytes(raw);
  return { status: res.status, body: res.data.toString("utf8") };
}

function parseHTTPResponseBytes(raw: Buffer): HTTPBytesResponse {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd < 0) throw new LimaError("malformed HTTP response from the host agent: no end of headers");
  const [statusLine = "", ...headerLines] = raw.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) throw new LimaError(`malformed HTTP status line from the host agent: ${JSON.stringify(statusLine)}`);
  const headers = new Map(headerLines.map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  let body = raw.subarray(headEnd + 4);
  if (/\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")) body = dechunk(body);
  else if (headers.has("content-length")) body = body.subarray(0, Number(headers.get("content-length")));
  return { status: Number(status), data: body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", pos);
    if (lineEnd < 0) throw new LimaError("malformed chunked HTTP body from the host agent");
    const size = Number.parseInt(data.subarray(pos, lineEnd).toString("latin1"), 16);
    if (!Number.isInteger(size) || size < 0) throw new LimaError("malformed chunk size in an HTTP body from the host agent");
    if (size === 0) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    pos = lineEnd + 2 + size + 2;
  }
}

/** Capturing a large display under TCG takes a while; the host agent answers once it has the image. */
export const SCREENSHOT_TIMEOUT_MS = 60_000;

/** Lima's HTTPStatusError text: the `message` of a JSON error body, else the status and body. */
function statusErrorText(res: HTTPBytesResponse): string {
  const body = res.data.toString("utf8");
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === "string") return message;
  } catch {
    // not Lima's ErrorJSON
  }
  return `unexpected HTTP status ${res.status}, body=${JSON.stringify(body)}`;
}

/** GET /v1/screenshot: the image, or Lima's errors for an old host agent, no support, no display. */
export async function getScreenshot(socketPath: string, format: "png" | "bmp"): Promise<Buffer> {
  const res = await httpGetBytes(socketPath, `/v1/screenshot?format=${format}`, SCREENSHOT_TIMEOUT_MS);
  if (res.status === 200) return res.data;
  if (res.status === 404) throw new LimaError("hostagent does not support screenshot — restart the instance to pick up the latest hostagent binary");
  if (res.status === 422) throw new LimaError('VM has no display configured — set video.display (e.g., "default") in the instance config');
  throw new LimaError(statusErrorText(res));
}
