import assert from "node:assert/strict";
import { describe, it } from "node:test";
import dnsPacket from "dns-packet";
import { buildReply } from "../../../src/hostresolver/handler.js";
import { acceptAction, chunkify, headerOnlyReply, messageLayout, readHeader, resolvConfNameservers, truncateMessage } from "../../../src/hostresolver/message.js";

const manyA = (count: number): dnsPacket.Answer[] =>
  Array.from({ length: count }, (_, i) => ({ type: "A" as const, name: `host-${i}.example`, ttl: 5, data: `10.0.${i >> 8}.${i & 255}` }));

function response(answers: dnsPacket.Answer[], additionals: dnsPacket.Answer[] = []): Buffer {
  return dnsPacket.encode({ id: 7, type: "response", flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name: "q.example" }], answers, additionals });
}

const opt: dnsPacket.Answer = { type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };

describe("DNS messages", () => {
  it("truncate to 512 bytes by dropping trailing records, with TC set", () => {
    const big = response(manyA(40));
    assert.ok(big.length > 512);
    const cut = truncateMessage(big);
    assert.ok(cut.length <= 512, `${cut.length} bytes`);
    const decoded = dnsPacket.decode(cut);
    assert.equal(decoded.flag_tc, true);
    assert.equal(decoded.flag_rd, true);
    assert.equal(decoded.id, 7);
    assert.deepEqual(decoded.questions, [{ type: "A", name: "q.example", class: "IN" }]);
    const kept = decoded.answers ?? [];
    assert.ok(kept.length > 10 && kept.length < 40);
    assert.deepEqual(kept.map((a) => a.name), manyA(kept.length).map((a) => a.name));
    // Not one more record would have fit.
    const next = messageLayout(big).records[kept.length];
    assert.ok(next && cut.length + (next.end - next.start) > 512);
  });

  it("keep a trailing EDNS OPT record when truncating, and leave small messages alone", () => {
    const cut = dnsPacket.decode(truncateMessage(response(manyA(40), [opt])));
    assert.equal(cut.flag_tc, true);
    assert.deepEqual(cut.additionals?.map((a) => a.type), ["OPT"]);
    const small = response(manyA(3));
    assert.equal(truncateMessage(small), small);
    assert.equal(dnsPacket.decode(truncateMessage(small)).flag_tc, false);
  });

  it("reject malformed messages when laying them out", () => {
    const big = response(manyA(3));
    assert.throws(() => messageLayout(big.subarray(0, big.length - 3)), /past the end/);
    assert.throws(() => messageLayout(Buffer.alloc(5)), /shorter than a DNS header/);
  });

  it("split TXT values into 255-byte character-strings", () => {
    const chunks = chunkify(Buffer.from("x".repeat(600)));
    assert.deepEqual(chunks.map((c) => c.length), [255, 255, 90]);
    assert.deepEqual(chunkify(Buffer.from("x".repeat(255))).map((c) => c.length), [255]);
    assert.deepEqual(chunkify(Buffer.alloc(0)), []);
  });

  it("accept one-question queries and notifies only, as Lima's DNS server", () => {
    const header = (flags: number, qdcount = 1, arcount = 0) => ({ id: 1, flags, qdcount, ancount: 0, nscount: 0, arcount });
    assert.equal(acceptAction(header(0x0100)), "accept");
    assert.equal(acceptAction(header(0x2000)), "accept"); // NOTIFY
    assert.equal(acceptAction(header(0x8000)), "ignore");
    assert.equal(acceptAction(header(0x2800)), "notimp"); // UPDATE
    assert.equal(acceptAction(header(0, 2)), "formerr");
    assert.equal(acceptAction(header(0, 1, 3)), "formerr");
    const reply = readHeader(headerOnlyReply(header(0x0110), 1));
    assert.deepEqual(reply, { id: 1, flags: 0x8111, qdcount: 0, ancount: 0, nscount: 0, arcount: 0 });
  });

  it("build replies that repeat the question as sent and name answers by pointer", () => {
    const query = dnsPacket.encode({ id: 9, type: "query", flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED, questions: [{ type: "A", name: "MiXed.Example", class: "CH" }] });
    const reply = dnsPacket.decode(buildReply(query, [{ type: "A", name: "ignored", ttl: 5, data: "10.9.8.7" }]));
    assert.equal(reply.id, 9);
    assert.equal(reply.type, "response");
    assert.deepEqual([reply.flag_rd, reply.flag_cd, reply.flag_ra, reply.flag_tc], [true, true, false, false]);
    assert.deepEqual(reply.questions, [{ type: "A", name: "MiXed.Example", class: "CH" }]);
    assert.deepEqual(reply.answers, [{ type: "A", name: "MiXed.Example", class: "CH", ttl: 5, flush: false, data: "10.9.8.7" }]);
  });

  it("read the nameservers of resolv.conf", () => {
    const text = "# comment\nsearch example.com\nnameserver 10.0.0.53\n  nameserver\tfd00::53 \nnameserver\noptions ndots:2\n";
    assert.deepEqual(resolvConfNameservers(text), ["10.0.0.53", "fd00::53"]);
  });
});
