// Downloads through a real local proxy, and from servers that stall: each download must either
// go through the proxy (or around it, per NO_PROXY) or fail within the timeout, naming the URL.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { cacheKey, download } from "../../../src/downloader/index.js";
import { startServer, type TestServer } from "./fixtures/server.js";
import { PROXY_VARS, restoreProxyEnv, setProxyEnv, startProxy, startSilentServer } from "./fixtures/proxy.js";
import { captureLogs, listDir, randomBytes, sha256, tempDir } from "./fixtures/helpers.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "download-child.ts");
// Short enough for a quick test, long enough for a loaded machine to connect to loopback.
const SHORT = { connectMs: 1500, idleMs: 1500 };
// A test that hangs instead of timing out fails here rather than holding up the run.
const TEST_TIMEOUT = { timeout: 20_000 };

/** Rejects with an error whose message is `expected`, within [min, max] ms. */
async function failsWithin(promise: Promise<unknown>, expected: string, minMs: number, maxMs: number): Promise<void> {
  const started = Date.now();
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.message, expected);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= minMs && elapsed <= maxMs, `failed after ${elapsed} ms, expected ${minMs}..${maxMs} ms`);
}

describe("download through a proxy", () => {
  let server: TestServer;
  const body = randomBytes(200_000, 5);

  before(async () => {
    server = await startServer();
  });
  after(() => server.close());
  afterEach(restoreProxyEnv);
  beforeEach(() => {
    setProxyEnv({});
    captureLogs();
    server.counts.clear();
    server.files.set("image.img", { body, contentType: "application/octet-stream" });
  });

  it("sends http: downloads to HTTP_PROXY as absolute-URI requests, with its credentials", TEST_TIMEOUT, async (t) => {
    const proxy = await startProxy({ http: server.port });
    t.after(() => proxy.close());
    const proxyUrl = new URL(proxy.url);
    proxyUrl.username = "lima";
    proxyUrl.password = "p@ss word";
    setProxyEnv({ HTTP_PROXY: proxyUrl.href });
    const dir = await tempDir(t);
    // image.test does not resolve: only the proxy can have fetched it.
    const url = "http://image.test/files/image.img";
    const res = await download(path.join(dir, "out"), url, { cacheDir: dir, expectedDigest: sha256(body) });
    assert.equal(res.status, "downloaded");
    assert.deepEqual(await readFile(path.join(dir, "out")), body);
    assert.deepEqual(proxy.requests, [`GET ${url}`]);
    assert.deepEqual(proxy.authorizations, [`Basic ${Buffer.from("lima:p@ss word").toString("base64")}`]);
  });

  it("lower-case http_proxy works too; HTTPS_PROXY alone is not used for http:", TEST_TIMEOUT, async (t) => {
    const proxy = await startProxy({ http: server.port });
    t.after(() => proxy.close());
    const dir = await tempDir(t);
    setProxyEnv({ http_proxy: proxy.url });
    await download(path.join(dir, "a"), "http://image.test/files/image.img", { cacheDir: dir });
    assert.deepEqual(proxy.requests, ["GET http://image.test/files/image.img"]);

    setProxyEnv({ HTTPS_PROXY: proxy.url });
    const direct = "http://other.test/files/image.img";
    await assert.rejects(download(path.join(dir, "b"), direct, { cacheDir: dir, timeouts: SHORT }), (err: Error) => lookupFailed(err, direct));
    assert.equal(proxy.requests.length, 1);
  });

  it("NO_PROXY hosts go direct; loopback never goes through the proxy", TEST_TIMEOUT, async (t) => {
    const proxy = await startProxy({ http: server.port });
    t.after(() => proxy.close());
    const dir = await tempDir(t);
    setProxyEnv({ HTTP_PROXY: proxy.url, NO_PROXY: "example.test, .bypass.test" });
    // Direct, a name that does not resolve fails at the lookup, never reaching the proxy.
    const bypassed = "http://image.bypass.test/files/image.img";
    await assert.rejects(download(path.join(dir, "a"), bypassed, { cacheDir: dir, timeouts: SHORT }), (err: Error) => lookupFailed(err, bypassed));
    const loopback = `${server.base}/files/image.img`;
    assert.equal((await download(path.join(dir, "b"), loopback, { cacheDir: dir })).status, "downloaded");
    assert.equal(server.count("GET", "/files/image.img"), 1);
    await download(path.join(dir, "c"), "http://image.test/files/image.img", { cacheDir: dir });
    assert.deepEqual(proxy.requests, ["GET http://image.test/files/image.img"]);
  });

  it("tunnels https: downloads through HTTPS_PROXY with CONNECT", TEST_TIMEOUT, async (t) => {
    const dir = await tempDir(t);
    const { key, cert } = await selfSignedCertificate(dir, "image.test");
    const seen: string[] = [];
    const tlsServer = https.createServer({ key, cert }, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`);
      res.writeHead(200, { "Content-Length": body.length }).end(body);
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => tlsServer.close(() => resolve())));
    const proxy = await startProxy({ http: server.port, tunnel: (tlsServer.address() as AddressInfo).port });
    t.after(() => proxy.close());

    // The certificate must be trusted at start-up, so the download runs in a child process.
    const url = "https://image.test/image.img";
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, path.join(dir, "out"), url, path.join(dir, "cache"), sha256(body)], {
      env: { ...withoutProxyVars(process.env), HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: path.join(dir, "cert.pem") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const [code] = await once(child, "close");
    assert.equal(code, 0, stderr);
    assert.deepEqual(proxy.requests, ["CONNECT image.test:443"]);
    assert.deepEqual(seen, ["GET /image.img image.test"]);
    assert.deepEqual(await readFile(path.join(dir, "out")), body);
  });

  it("a proxy that refuses CONNECT or cannot be reached fails naming the URL and the proxy", TEST_TIMEOUT, async (t) => {
    const proxy = await startProxy({ http: server.port });
    t.after(() => proxy.close());
    const dir = await tempDir(t);
    const port = new URL(proxy.url).port;
    setProxyEnv({ HTTPS_PROXY: proxy.url });
    await assert.rejects(download(path.join(dir, "a"), "https://image.test/a.img", { cacheDir: dir }), (err: Error) => {
      assert.equal(err.message, `Get "https://image.test/a.img": proxyconnect: proxy 127.0.0.1:${port} refused CONNECT image.test:443: 403 Forbidden`);
      return true;
    });
    setProxyEnv({ HTTP_PROXY: "127.0.0.1:1" });
    await assert.rejects(download(path.join(dir, "b"), "http://image.test/b.img", { cacheDir: dir }), (err: Error) => {
      assert.equal(err.message, `Get "http://image.test/b.img": proxyconnect tcp: connect ECONNREFUSED 127.0.0.1:1`);
      return true;
    });
  });
});

describe("download from a stalled server", () => {
  let server: TestServer;
  const body = randomBytes(200_000, 6);

  before(async () => {
    server = await startServer();
  });
  after(() => server.close());
  afterEach(restoreProxyEnv);
  beforeEach(() => {
    setProxyEnv({});
    captureLogs();
    server.counts.clear();
  });

  it("a server that accepts and never answers fails after the idle timeout", TEST_TIMEOUT, async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    const dir = await tempDir(t);
    const url = `http://127.0.0.1:${silent.port}/image.img`;
    const download1 = download(path.join(dir, "out"), url, { cacheDir: dir, timeouts: SHORT });
    await failsWithin(download1, `Get "${url}": no data received for 1.5s`, 1400, 6000);
    assert.equal(silent.accepted, 1);
    assert.deepEqual(await listDir(path.join(dir, "by-url-sha256", cacheKey(url))), []);
  });

  it("a body that stops mid-way fails after the idle timeout, keeps nothing, and the next attempt succeeds", TEST_TIMEOUT, async (t) => {
    const dir = await tempDir(t);
    const url = `${server.base}/files/stalls.img`;
    server.files.set("stalls.img", { body, stallAfter: 50_000 });
    const options = { cacheDir: dir, expectedDigest: sha256(body), timeouts: SHORT };
    await failsWithin(download(path.join(dir, "out"), url, options), `failed to download \`${url}\`: no data received for 1.5s`, 1400, 6000);
    const entry = path.join(dir, "by-url-sha256", cacheKey(url));
    assert.deepEqual(await listDir(entry), []);
    assert.deepEqual(await listDir(path.dirname(path.join(dir, "out"))), ["by-url-sha256"]);

    server.files.set("stalls.img", { body });
    assert.equal((await download(path.join(dir, "out"), url, options)).status, "downloaded");
    assert.deepEqual(await readFile(path.join(dir, "out")), body);
    assert.deepEqual(await listDir(entry), ["data", "sha256.digest", "time", "type", "url"]);
  });

  it("a TLS server that never completes the handshake fails after the connect timeout", TEST_TIMEOUT, async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    const dir = await tempDir(t);
    const url = `https://127.0.0.1:${silent.port}/image.img`;
    const expected = `Get "${url}": TLS handshake with 127.0.0.1:${silent.port} timed out after 1.5s`;
    await failsWithin(download(path.join(dir, "out"), url, { cacheDir: dir, timeouts: SHORT }), expected, 1400, 6000);
  });

  it("a proxy that never answers CONNECT fails after the connect timeout", TEST_TIMEOUT, async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    setProxyEnv({ HTTPS_PROXY: `http://127.0.0.1:${silent.port}` });
    const dir = await tempDir(t);
    const url = "https://image.test/image.img";
    const expected = `Get "${url}": CONNECT image.test:443 through proxy 127.0.0.1:${silent.port} timed out after 1.5s`;
    await failsWithin(download(path.join(dir, "out"), url, { cacheDir: dir, timeouts: SHORT }), expected, 1400, 6000);
  });

  it("a digest-less cache entry is used when the revalidating HEAD stalls", TEST_TIMEOUT, async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    const proxy = await startProxy({ http: silent.port });
    t.after(() => proxy.close());
    const dir = await tempDir(t);
    // The first download fills the cache through a working route, the second revalidates through a dead one.
    const url = "http://image.test/files/image.img";
    const working = await startProxy({ http: server.port });
    t.after(() => working.close());
    server.files.set("image.img", { body, lastModified: "Mon, 02 Jan 2006 15:04:05 GMT" });
    setProxyEnv({ HTTP_PROXY: working.url });
    await download(path.join(dir, "a"), url, { cacheDir: dir, timeouts: SHORT });
    setProxyEnv({ HTTP_PROXY: proxy.url });
    const res = await download(path.join(dir, "b"), url, { cacheDir: dir, timeouts: SHORT });
    assert.equal(res.status, "used-cache");
    assert.deepEqual(proxy.requests, [`HEAD ${url}`]);
  });
});

/** A direct connection to `url`'s (unresolvable) host failed: the name lookup failed, or a slow resolver ran out the connect timeout. */
function lookupFailed(err: Error, url: string): boolean {
  const host = new URL(url).host;
  const reason = new RegExp(`^(getaddrinfo (ENOTFOUND|EAI_AGAIN) ${host}|connecting to ${host}:80 timed out after 1.5s)$`);
  assert.ok(err.message.startsWith(`Get "${url}": `), err.message);
  assert.match(err.message.slice(`Get "${url}": `.length), reason);
  return true;
}

function withoutProxyVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !PROXY_VARS.includes(name)));
}

/** A throw-away certificate for `name`, written as key.pem and cert.pem into `dir`. */
async function selfSignedCertificate(dir: string, name: string): Promise<{ key: Buffer; cert: Buffer }> {
  const keyPath = path.join(dir, "key.pem");
  const certPath = path.join(dir, "cert.pem");
  await promisify(execFile)("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`,
  ]);
  return { key: await readFile(keyPath), cert: await readFile(certPath) };
}
