// httpRequest's options for callers other than download(): extra headers (and which of them survive a
// redirect), non-2xx responses handed back, and the URL the response finally came from.
import assert from "node:assert/strict";
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { httpRequest, readBody } from "../../../src/downloader/http.js";
import { restoreProxyEnv, setProxyEnv, startProxy, type TestProxy } from "./fixtures/proxy.js";

const TEST_TIMEOUT = { timeout: 20_000 };

describe("httpRequest options", () => {
  let server: http.Server;
  let base = "";
  let proxy: TestProxy;
  /** `HOST PATH` -> the headers that request arrived with. */
  const seen = new Map<string, IncomingHttpHeaders>();

  before(async () => {
    server = http.createServer((req, res) => {
      seen.set(`${req.headers.host} ${req.url}`, req.headers);
      if (req.url === "/start") return void res.writeHead(302, { Location: "http://sub.a.test/middle" }).end();
      if (req.url === "/middle") return void res.writeHead(301, { Location: "http://b.test/end" }).end();
      if (req.url === "/end") return void res.end("done");
      res.writeHead(404).end("gone");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Every name reaches the server through the proxy, so redirects can change hosts.
    proxy = await startProxy({ http: (server.address() as AddressInfo).port });
  });
  after(async () => {
    await proxy.close();
    server.close();
  });
  afterEach(restoreProxyEnv);

  it("sends extra headers, replacing defaults; credentials follow redirects to subdomains only", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url });
    const headers = { Authorization: "token secret", "user-agent": "lima", Accept: "application/json" };
    const response = await httpRequest("GET", "http://a.test/start", { headers });
    assert.equal((await readBody(response.body, 100)).bytes.toString(), "done");
    assert.equal(response.url, "http://b.test/end");
    assert.equal(response.status, 200);
    const start = seen.get("a.test /start");
    const middle = seen.get("sub.a.test /middle");
    const end = seen.get("b.test /end");
    assert.equal(start?.authorization, "token secret");
    assert.equal(middle?.authorization, "token secret");
    assert.equal(end?.authorization, undefined);
    assert.equal(end?.accept, "application/json");
    assert.deepEqual([start?.["user-agent"], end?.["user-agent"]], ["lima", "lima"]);
  });

  it("hands back a final non-2xx response with anyStatus, and fails on it otherwise", TEST_TIMEOUT, async () => {
    setProxyEnv({});
    const response = await httpRequest("GET", `${base}/missing`, { anyStatus: true });
    assert.equal(response.status, 404);
    assert.equal(response.url, `${base}/missing`);
    assert.equal((await readBody(response.body, 100)).bytes.toString(), "gone");
    await assert.rejects(httpRequest("GET", `${base}/missing`), { message: `Get "${base}/missing": unexpected HTTP status 404 Not Found` });
  });

  it("readBody stops at the limit and says the body had more", TEST_TIMEOUT, async () => {
    setProxyEnv({});
    const response = await httpRequest("GET", `${base}/end`);
    assert.deepEqual(await readBody(response.body, 3), { bytes: Buffer.from("don"), complete: false });
    const whole = await httpRequest("GET", `${base}/end`);
    assert.deepEqual(await readBody(whole.body, 4), { bytes: Buffer.from("done"), complete: true });
  });
});
