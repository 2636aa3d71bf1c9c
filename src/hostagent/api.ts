// The host agent's REST API on `ha.sock` (HTTP/1.1 over a unix socket, mode 0600).
import { chmodSync, rmSync } from "node:fs";
import http from "node:http";
import { NoDisplayError, type ScreenshotFormat } from "../driver/driver.js";
import type { HostAgentInfo } from "../store/hostagentclient.js";
import { errorMessage } from "../util/errors.js";
import { goQuote } from "../util/goquote.js";

/** What the API serves: the info record and the driver's screenshot. */
export interface APIBackend {
  info: () => HostAgentInfo;
  /** Undefined when the driver cannot take screenshots (Lima: not a Screenshotter). */
  screenshot?: (format: ScreenshotFormat) => Promise<Uint8Array>;
  driverName: string;
}

function sendJSON(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** GET /v1/screenshot?format=png|bmp, with Lima's status codes: 501 no support, 422 no display. */
async function serveScreenshot(url: URL, res: http.ServerResponse, backend: APIBackend): Promise<void> {
  const format = (url.searchParams.get("format") ?? "").toLowerCase() || "png";
  if (format !== "png" && format !== "bmp") return sendJSON(res, 400, { message: `unsupported format ${goQuote(format)}: must be png or bmp` });
  if (!backend.screenshot) return sendJSON(res, 501, { message: `driver ${goQuote(backend.driverName)}: driver does not support screenshots` });
  let data: Uint8Array;
  try {
    data = await backend.screenshot(format);
  } catch (err) {
    return sendJSON(res, err instanceof NoDisplayError ? 422 : 500, { message: errorMessage(err) });
  }
  res.writeHead(200, { "Content-Type": format === "bmp" ? "image/bmp" : "image/png", "Content-Length": String(data.length) });
  res.end(data);
}

export async function serveAPI(socketPath: string, backend: APIBackend): Promise<http.Server> {
  rmSync(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://lima-hostagent");
    if (url.pathname === "/v1/info") {
      if (req.method !== "GET") return sendJSON(res, 405, { message: "method not allowed" }, { Allow: "GET" });
      return sendJSON(res, 200, backend.info());
    }
    if (url.pathname === "/v1/screenshot") {
      if (req.method !== "GET") return sendJSON(res, 405, { message: "method not allowed" }, { Allow: "GET" });
      void serveScreenshot(url, res, backend);
      return;
    }
    sendJSON(res, 404, { message: "not found" });
  });
  const oldUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(oldUmask);
  }
  chmodSync(socketPath, 0o600);
  return server;
}
