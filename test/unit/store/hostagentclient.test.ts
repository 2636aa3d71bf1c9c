// The host agent API client against real HTTP servers on unix sockets: node's, as the lima-ts
// host agent serves it, and one answering with chunked encoding, as Go's net/http may.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { getHostAgentInfo, parseHTTPResponse } from "../../../src/store/hostagentclient.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "lima-haclient-"));

async function serve(name: string, handler: http.RequestListener): Promise<{ socket: string; close: () => void }> {
  const socket = path.join(dir, name);
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, close: () => server.close() };
}

describe("host agent client", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads /v1/info with Content-Length", async () => {
    const seen: string[] = [];
    const srv = await serve("a.sock", (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ sshLocalPort: 40022 }));
    });
    assert.deepEqual(await getHostAgentInfo(srv.socket), { sshLocalPort: 40022 });
    assert.deepEqual(seen, ["GET /v1/info lima-hostagent"]);
    srv.close();
  });

  it("reads a chunked body", async () => {
    const srv = await serve("b.sock", (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write('{"sshLocalPort":');
      res.end('40023,"autoStartedIdentifier":"x"}');
    });
    assert.deepEqual(await getHostAgentInfo(srv.socket), { sshLocalPort: 40023, autoStartedIdentifier: "x" });
    srv.close();
  });

  it("reports another status with the body", async () => {
    const srv = await serve("c.sock", (_req, res) => {
      res.writeHead(404);
      res.end('{"message":"not found"}');
    });
    await assert.rejects(getHostAgentInfo(srv.socket), { message: 'expected status 200, got 404: {"message":"not found"}' });
    srv.close();
  });

  it("fails when nothing listens", async () => {
    await assert.rejects(getHostAgentInfo(path.join(dir, "none.sock")), { code: "ENOENT" });
  });

  it("parses UTF-8 bodies and rejects garbage", () => {
    assert.deepEqual(parseHTTPResponse(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n\"ä\"")), { status: 200, body: '"ä"' });
    assert.throws(() => parseHTTPResponse(Buffer.from("SSH-2.0-OpenSSH\r\n")), /no end of headers/);
  });
});
