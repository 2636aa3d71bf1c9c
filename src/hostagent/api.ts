// The host agent's REST API on `ha.sock` (HTTP/1.1 over a unix socket, mode 0600).
import { chmodSync, rmSync } from "node:fs";
import http from "node:http";
import type { HostAgentInfo } from "../store/hostagentclient.js";

function sendJSON(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function serveAPI(socketPath: string, info: () => HostAgentInfo): Promise<http.Server> {
  rmSync(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://lima-hostagent");
    if (url.pathname === "/v1/info") {
      if (req.method !== "GET") return sendJSON(res, 405, { message: "method not allowed" }, { Allow: "GET" });
      return sendJSON(res, 200, info());
    }
    if (url.pathname === "/v1/screenshot") {
      if (req.method !== "GET") return sendJSON(res, 405, { message: "method not allowed" }, { Allow: "GET" });
      return sendJSON(res, 501, { message: "the driver does not support screenshots" });
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
