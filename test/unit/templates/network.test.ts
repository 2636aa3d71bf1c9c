// Template fetches go through the downloader's HTTP client: a real local proxy must see them (names
// such as tmpl.test do not resolve, so a success proves the proxy was used), NO_PROXY sends them
// direct, and a stalled server fails within the timeout, naming the URL.
import assert from "node:assert/strict";
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { transformGitHubURL } from "../../../src/templates/github.js";
import { fetchTemplate, readLocator } from "../../../src/templates/locator.js";
import { restoreProxyEnv, setProxyEnv, startProxy, startSilentServer, type TestProxy } from "../downloader/fixtures/proxy.js";
import { withEnv } from "./helpers.js";

// Short enough for a quick test, long enough for a loaded machine to connect to loopback.
const SHORT = { connectMs: 1500, idleMs: 1500 };
const TEST_TIMEOUT = { timeout: 20_000 };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

interface Site {
  server: http.Server;
  port: number;
  base: string;
  /** `HOST PATH` -> the request's headers. */
  seen: Map<string, IncomingHttpHeaders>;
}

/** A server on 127.0.0.1 answering by `HOST PATH` (the host as the client named it). */
async function startSite(routes: Record<string, (res: http.ServerResponse) => void>): Promise<Site> {
  const seen = new Map<string, IncomingHttpHeaders>();
  const server = http.createServer((req, res) => {
    const key = `${req.headers.host} ${req.url}`;
    seen.set(key, req.headers);
    const route = routes[key];
    if (route) return route(res);
    res.writeHead(404).end("404: Not Found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, base: `http://127.0.0.1:${port}`, seen };
}

function closeSite(site: Site): Promise<void> {
  site.server.closeAllConnections();
  return new Promise((resolve) => site.server.close(() => resolve()));
}

/** Rejects with exactly `expected`, within [min, max] ms. */
async function failsWithin(promise: Promise<unknown>, expected: string, minMs: number, maxMs: number): Promise<void> {
  const started = Date.now();
  await assert.rejects(promise, { message: expected });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= minMs && elapsed <= maxMs, `failed after ${elapsed} ms, expected ${minMs}..${maxMs} ms`);
}

describe("http template locators and proxies", () => {
  let site: Site;
  let proxy: TestProxy;

  before(async () => {
    site = await startSite({
      "tmpl.test /dir/Proxied.yaml": (res) => res.end("cpus: 4\n"),
      "tmpl.test /moved.yaml": (res) => res.writeHead(302, { Location: "/dir/Proxied.yaml" }).end(),
      "tmpl.test /big.yaml": (res) => res.end("x".repeat(4 * 1024 * 1024 + 1)),
      "tmpl.test /stalls.yaml": (res) => res.writeHead(200, { "Content-Length": 100 }).write("cpus:"),
    });
    proxy = await startProxy({ http: site.port });
  });
  after(async () => {
    await proxy.close();
    await closeSite(site);
  });
  beforeEach(() => {
    proxy.requests.length = 0;
  });
  afterEach(restoreProxyEnv);

  it("fetches an http template through HTTP_PROXY, following redirects", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url });
    const tmpl = await readLocator("http://tmpl.test/dir/Proxied.yaml");
    assert.equal(text(tmpl.bytes), "cpus: 4\n");
    assert.equal(tmpl.name, "proxied");
    assert.equal(text(await fetchTemplate("http://tmpl.test/moved.yaml")), "cpus: 4\n");
    assert.deepEqual(proxy.requests, [
      "GET http://tmpl.test/dir/Proxied.yaml",
      "GET http://tmpl.test/moved.yaml",
      "GET http://tmpl.test/dir/Proxied.yaml",
    ]);
  });

  it("keeps the status and size-limit errors through the proxy", TEST_TIMEOUT, async () => {
    setProxyEnv({ http_proxy: proxy.url });
    await assert.rejects(readLocator("http://tmpl.test/missing.yaml"), {
      message: "failed to fetch template `http://tmpl.test/missing.yaml`: status 404 Not Found",
    });
    await assert.rejects(readLocator("http://tmpl.test/big.yaml"), {
      message: "template `http://tmpl.test/big.yaml` exceeded the limit (4194304 bytes)",
    });
  });

  it("goes direct to NO_PROXY hosts and loopback", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url, NO_PROXY: "example.test,.bypass.test" });
    const bypassed = "http://tmpl.bypass.test/x.yaml";
    // Direct, a name that does not resolve fails at the lookup (or a slow resolver runs out the connect timeout).
    await assert.rejects(fetchTemplate(bypassed, SHORT), (err: Error) => {
      const prefix = `failed to fetch template \`${bypassed}\`: Get "${bypassed}": `;
      assert.ok(err.message.startsWith(prefix), err.message);
      assert.match(err.message.slice(prefix.length), /^(getaddrinfo (ENOTFOUND|EAI_AGAIN) tmpl\.bypass\.test|connecting to tmpl\.bypass\.test:80 timed out after 1\.5s)$/);
      return true;
    });
    site.seen.clear();
    const loopback = `${site.base}/dir/Proxied.yaml`;
    await assert.rejects(fetchTemplate(loopback, SHORT), { message: `failed to fetch template \`${loopback}\`: status 404 Not Found` });
    assert.deepEqual([...site.seen.keys()], [`127.0.0.1:${site.port} /dir/Proxied.yaml`]);
    assert.deepEqual(proxy.requests, []);
    assert.equal(text(await fetchTemplate("http://tmpl.test/dir/Proxied.yaml", SHORT)), "cpus: 4\n");
    assert.deepEqual(proxy.requests, ["GET http://tmpl.test/dir/Proxied.yaml"]);
  });

  it("a server that never answers fails after the idle timeout, naming the URL", TEST_TIMEOUT, async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    setProxyEnv({});
    const url = `http://127.0.0.1:${silent.port}/x.yaml`;
    await failsWithin(fetchTemplate(url, SHORT), `failed to fetch template \`${url}\`: Get "${url}": no data received for 1.5s`, 1400, 6000);
  });

  it("a body that stops mid-way fails after the idle timeout, naming the URL", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url });
    const url = "http://tmpl.test/stalls.yaml";
    await failsWithin(fetchTemplate(url, SHORT), `failed to fetch template \`${url}\`: no data received for 1.5s`, 1400, 6000);
  });
});

describe("github: locators over the network", () => {
  let site: Site;
  let proxy: TestProxy;
  // Through the proxy, these names (which do not resolve) reach the fake GitHub.
  const endpoints = { api: "http://api.github.test", raw: "http://raw.github.test" };
  const json = (body: unknown) => (res: http.ServerResponse) => res.end(JSON.stringify(body));

  before(async () => {
    site = await startSite({
      "api.github.test /repos/org/repo": json({ default_branch: "main" }),
      "api.github.test /repos/org/org": json({ default_branch: "trunk" }),
      "api.github.test /repos/org/limited": (res) => res.writeHead(403).end('{"message":"rate limited"}'),
      "raw.github.test /org/repo/main/templates/alias.yaml": (res) => res.end("real.yaml"),
      "raw.github.test /org/repo/main/templates/plain.yaml": (res) => res.end(`cpus: 1\n${"#".repeat(5000)}\n`),
      "raw.github.test /org/repo/main/templates/renamed.yaml": (res) => res.writeHead(301, { Location: "/org/repo/main/elsewhere.yaml" }).end(),
      "raw.github.test /org/org/trunk/templates/moved.yaml": (res) => res.end("github:org/other/templates/x\n"),
    });
    proxy = await startProxy({ http: site.port });
  });
  after(async () => {
    await proxy.close();
    await closeSite(site);
  });
  afterEach(restoreProxyEnv);

  it("asks the API for the default branch and resolves symlinks, through HTTP_PROXY", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url });
    await withEnv({ GH_TOKEN: "tok", GITHUB_TOKEN: undefined }, async () => {
      assert.equal(await transformGitHubURL("org/repo/templates/alias", endpoints), `${endpoints.raw}/org/repo/main/templates/real.yaml`);
    });
    const api = site.seen.get("api.github.test /repos/org/repo");
    assert.deepEqual([api?.authorization, api?.accept, api?.["user-agent"]], ["token tok", "application/vnd.github.v3+json", "lima"]);
    assert.equal(site.seen.get("raw.github.test /org/repo/main/templates/alias.yaml")?.["user-agent"], "lima");
    assert.ok(proxy.requests.includes("GET http://api.github.test/repos/org/repo"), proxy.requests.join("\n"));
    assert.equal(await transformGitHubURL("org/repo/templates/plain@main", endpoints), `${endpoints.raw}/org/repo/main/templates/plain.yaml`);
  });

  it("falls back to a redirect on the default branch when github:ORG// has no file on the ref", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url });
    assert.equal(await transformGitHubURL("org//templates/moved@v1", endpoints), "github:org/other/templates/x@v1");
    assert.ok(site.seen.has("raw.github.test /org/org/v1/templates/moved.yaml"));
  });

  it("names the URL a missing file was finally looked for at, and the API's answer", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: proxy.url });
    await assert.rejects(transformGitHubURL("org/repo/templates/renamed@main", endpoints), {
      message: `file \`${endpoints.raw}/org/repo/main/elsewhere.yaml\` not found or inaccessible: status 404`,
    });
    await assert.rejects(transformGitHubURL("org/limited/x", endpoints), {
      message: 'failed to get default branch for org/limited: GitHub API returned status 403: {"message":"rate limited"}',
    });
  });

  it("reports an unreachable GitHub naming the URL", TEST_TIMEOUT, async () => {
    setProxyEnv({ HTTP_PROXY: "127.0.0.1:1" });
    await assert.rejects(transformGitHubURL("org/repo/x@main", endpoints), {
      message: `failed to fetch file: Get "${endpoints.raw}/org/repo/main/x.yaml": proxyconnect tcp: connect ECONNREFUSED 127.0.0.1:1`,
    });
  });
});
