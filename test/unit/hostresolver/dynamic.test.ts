// The names of the instances on a user-v2 network come and go while the resolver runs: they are
// read at each query, and a static name (hostResolver.hosts, host.lima.internal) wins.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import dnsPacket from "dns-packet";
import { createHandler } from "../../../src/hostresolver/handler.js";

const query = (name: string): Buffer => dnsPacket.encode({ type: "query", id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name }] });

async function answerOf(handler: ReturnType<typeof createHandler>, name: string): Promise<string | undefined> {
  const reply = await handler(query(name), "udp");
  const answer = dnsPacket.decode(reply ?? Buffer.alloc(0)).answers?.[0];
  return answer && answer.type === "A" ? answer.data : undefined;
}

const none = async (): Promise<string[]> => [];

describe("dynamic host names", () => {
  it("answers names added after the start, and lets static names win", async () => {
    let hosts: Record<string, string> = {};
    const handler = createHandler({
      ipv6: false,
      staticHosts: { "host.lima.internal": "192.168.5.2" },
      dynamicHosts: () => hosts,
      upstreams: [],
      forwardTimeoutMs: 10,
      resolver: { lookupIP: none, cname: none, txt: async () => [], ns: none, mx: async () => [], srv: async () => [] },
    });
    assert.equal(await answerOf(handler, "lima-b.internal"), undefined);
    hosts = { "lima-b.internal": "192.168.104.4", "host.lima.internal": "10.0.0.1" };
    assert.equal(await answerOf(handler, "lima-b.internal"), "192.168.104.4");
    assert.equal(await answerOf(handler, "LIMA-B.internal."), "192.168.104.4");
    assert.equal(await answerOf(handler, "host.lima.internal"), "192.168.5.2");
  });
});
