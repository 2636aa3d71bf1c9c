// Client of the host agent's REST API on `ha.sock` (HTTP/1.1 over a unix socket, host `lima-hostagent`).
import http from "node:http";
import { LimaError } from "../util/errors.js";

export interface HostAgentInfo {
  autoStartedIdentifier?: string;
  sshLocalPort?: number;
}

export function getHostAgentInfo(socketPath: string, timeoutMs = 3000): Promise<HostAgentInfo> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: "/v1/info", headers: { Host: "lima-hostagent" }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) {
          reject(new LimaError(`expected status 200, got ${res.statusCode}: ${body.trim()}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as HostAgentInfo);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on("timeout", () => req.destroy(new LimaError(`timed out after ${timeoutMs / 1000}s waiting for ${socketPath}`)));
    req.on("error", reject);
  });
}
