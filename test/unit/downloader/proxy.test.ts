import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { proxyForUrl, proxySettingsFromEnv } from "../../../src/downloader/proxy.js";

/** The proxy for `url` under `env` as text, "direct" when none. */
function proxyFor(env: NodeJS.ProcessEnv, url: string): string {
  return proxyForUrl(new URL(url), proxySettingsFromEnv(env))?.href ?? "direct";
}

/** Which of `urls` bypass HTTP_PROXY/HTTPS_PROXY under `noProxy`. */
function bypassed(noProxy: string, urls: string[]): string[] {
  const env = { HTTP_PROXY: "http://proxy.corp:3128", HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: noProxy };
  return urls.filter((url) => proxyFor(env, url) === "direct");
}

describe("proxy selection (Go's ProxyFromEnvironment)", () => {
  it("reads proxy values as URLs or as host[:port] meaning http://", () => {
    const cases: Array<[string, string]> = [
      ["http://proxy.corp:3128", "http://proxy.corp:3128/"],
      ["proxy.corp:3128", "http://proxy.corp:3128/"],
      ["proxy.corp", "http://proxy.corp/"],
      ["10.0.0.1:3128", "http://10.0.0.1:3128/"],
      ["https://proxy.corp", "https://proxy.corp/"],
      ["socks5://proxy.corp:1080", "socks5://proxy.corp:1080"],
      ["http://user:p%40ss@proxy.corp:3128", "http://user:p%40ss@proxy.corp:3128/"],
    ];
    for (const [value, expected] of cases) assert.equal(proxyFor({ HTTP_PROXY: value }, "http://example.org/"), expected, value);
  });

  it("uses HTTP_PROXY for http: and HTTPS_PROXY for https: only", () => {
    const env = { HTTP_PROXY: "http://plain:1", HTTPS_PROXY: "http://secure:2" };
    assert.equal(proxyFor(env, "http://example.org/a"), "http://plain:1/");
    assert.equal(proxyFor(env, "https://example.org/a"), "http://secure:2/");
    assert.equal(proxyFor({ HTTP_PROXY: "http://plain:1" }, "https://example.org/"), "direct");
    assert.equal(proxyFor({ HTTPS_PROXY: "http://secure:2" }, "http://example.org/"), "direct");
    assert.equal(proxyFor({}, "http://example.org/"), "direct");
  });

  it("prefers upper case and falls back to lower case when it is unset or empty", () => {
    assert.equal(proxyFor({ HTTP_PROXY: "http://upper:1", http_proxy: "http://lower:2" }, "http://example.org/"), "http://upper:1/");
    assert.equal(proxyFor({ HTTP_PROXY: "", http_proxy: "http://lower:2" }, "http://example.org/"), "http://lower:2/");
    assert.equal(proxyFor({ https_proxy: "http://lower:2" }, "https://example.org/"), "http://lower:2/");
    assert.equal(proxyFor({ HTTP_PROXY: "http://p:1", no_proxy: "example.org" }, "http://example.org/"), "direct");
    assert.equal(proxyFor({ HTTP_PROXY: "http://p:1", NO_PROXY: "other.org", no_proxy: "example.org" }, "http://example.org/"), "http://p:1/");
  });

  it("never proxies localhost or loopback addresses", () => {
    const urls = ["http://localhost:8080/", "http://LOCALHOST/", "http://127.0.0.1/", "http://127.8.9.10:99/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "https://localhost/"];
    assert.deepEqual(bypassed("", urls), urls);
    assert.deepEqual(bypassed("", ["http://localhost.example/", "http://128.0.0.1/", "http://[::2]/"]), []);
  });

  it("NO_PROXY domains: a name matches itself and its subdomains; a leading . or *. only subdomains", () => {
    const urls = ["http://foo.com/", "http://a.foo.com/", "http://a.b.foo.com/", "http://barfoo.com/", "http://foo.com.evil/"];
    assert.deepEqual(bypassed("foo.com", urls), ["http://foo.com/", "http://a.foo.com/", "http://a.b.foo.com/"]);
    assert.deepEqual(bypassed(".foo.com", urls), ["http://a.foo.com/", "http://a.b.foo.com/"]);
    assert.deepEqual(bypassed("*.foo.com", urls), ["http://a.foo.com/", "http://a.b.foo.com/"]);
  });

  it("NO_PROXY entries are trimmed, case-insensitive, comma-separated; empty ones are skipped", () => {
    const urls = ["http://foo.com/", "https://www.bar.org/", "http://baz.net/"];
    assert.deepEqual(bypassed(" FOO.com , ,Bar.ORG,", urls), ["http://foo.com/", "https://www.bar.org/"]);
  });

  it("NO_PROXY ports: an entry with a port matches only that port (default ports by scheme)", () => {
    const urls = ["http://foo.com/", "https://foo.com/", "http://foo.com:8080/", "http://10.0.0.2/", "http://10.0.0.2:8080/"];
    assert.deepEqual(bypassed("foo.com:80,10.0.0.2:8080", urls), ["http://foo.com/", "http://10.0.0.2:8080/"]);
    assert.deepEqual(bypassed("foo.com:443", urls), ["https://foo.com/"]);
  });

  it("NO_PROXY IPs and CIDRs, IPv4 and IPv6", () => {
    const urls = [
      "http://10.0.0.1/",
      "http://10.0.0.1:8080/",
      "http://192.168.5.15/",
      "http://192.168.6.1/",
      "https://[2001:db8::1]/",
      "http://[2001:db8:1::5]/",
      "http://[2001:db9::1]/",
      "http://10.0.0.1.nip.io/",
    ];
    assert.deepEqual(bypassed("10.0.0.1", urls), ["http://10.0.0.1/", "http://10.0.0.1:8080/"]);
    assert.deepEqual(bypassed("192.168.5.0/24", urls), ["http://192.168.5.15/"]);
    assert.deepEqual(bypassed("2001:db8::/32", urls), ["https://[2001:db8::1]/", "http://[2001:db8:1::5]/"]);
    assert.deepEqual(bypassed("[2001:db8::1]:443", urls), ["https://[2001:db8::1]/"]);
    assert.deepEqual(bypassed("::ffff:192.168.0.0/112", urls), ["http://192.168.5.15/", "http://192.168.6.1/"]);
    // An IPv4 address is never in an IPv6 network.
    assert.deepEqual(bypassed("::/0", urls), ["https://[2001:db8::1]/", "http://[2001:db8:1::5]/", "http://[2001:db9::1]/"]);
  });

  it("NO_PROXY=* alone or anywhere in the list turns the proxy off", () => {
    assert.deepEqual(bypassed("*", ["http://foo.com/", "https://10.1.2.3/"]), ["http://foo.com/", "https://10.1.2.3/"]);
    assert.deepEqual(bypassed("foo.com,*", ["http://bar.com/"]), ["http://bar.com/"]);
  });

  it("NO_PROXY internationalised names match the punycode host", () => {
    assert.deepEqual(bypassed("bücher.example", ["http://www.bücher.example/", "http://buecher.example/"]), ["http://www.bücher.example/"]);
  });
});
