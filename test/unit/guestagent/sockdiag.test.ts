// netlink sock_diag encoding and decoding (the compiled agent's socket lister; the syscalls
// themselves run only under bun and are covered by test/e2e/guestagent.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSockDiag, sockDiagRequest } from "../../../src/guestagent/sockdiag.js";

/** One netlink message: nlmsghdr + payload, padded to 4 bytes. */
function nlmsg(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + payload.length, 0);
  header.writeUInt16LE(type, 4);
  return Buffer.concat([header, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}

/** An inet_diag_msg (72 bytes) for a socket bound to `src` (4 or 16 bytes) and `port`. */
function diagMsg(family: number, state: number, src: number[], port: number): Buffer {
  const msg = Buffer.alloc(72);
  msg[0] = family;
  msg[1] = state;
  msg.writeUInt16BE(port, 4);
  Buffer.from(src).copy(msg, 8);
  return msg;
}

describe("sock_diag", () => {
  it("asks for one family and protocol, LISTEN (TCP) or CLOSE (UDP) sockets only", () => {
    const req = Buffer.from(sockDiagRequest(10, "tcp", 7));
    assert.equal(req.length, 72);
    assert.deepEqual([req.readUInt32LE(0), req.readUInt16LE(4), req.readUInt16LE(6), req.readUInt32LE(8)], [72, 20, 0x301, 7]);
    assert.deepEqual([req[16], req[17], req.readUInt32LE(20)], [10, 6, 1 << 10]);
    const udp = Buffer.from(sockDiagRequest(2, "udp", 1));
    assert.deepEqual([udp[16], udp[17], udp.readUInt32LE(20)], [2, 17, 1 << 7]);
  });

  it("decodes listeners, skips other states, stops at NLMSG_DONE", () => {
    const v6loopback = [...Array(15).fill(0), 1];
    const data = Buffer.concat([
      nlmsg(20, diagMsg(10, 10, v6loopback, 8080)),
      nlmsg(20, diagMsg(2, 10, [192, 168, 5, 15], 22)),
      nlmsg(20, diagMsg(2, 1, [127, 0, 0, 1], 5000)), // ESTABLISHED: not a listener
      nlmsg(3, Buffer.alloc(4)),
    ]);
    assert.deepEqual(parseSockDiag(data, "tcp"), {
      ports: [
        { protocol: "tcp", ip: "::1", port: 8080 },
        { protocol: "tcp", ip: "192.168.5.15", port: 22 },
      ],
      done: true,
    });
    assert.equal(parseSockDiag(nlmsg(20, diagMsg(2, 7, [0, 0, 0, 0], 53)), "udp").done, false);
  });

  it("turns NLMSG_ERROR into the errno's text", () => {
    const err = Buffer.alloc(4);
    err.writeInt32LE(-1, 0); // -EPERM
    assert.throws(() => parseSockDiag(nlmsg(2, err), "tcp"), /sock_diag: operation not permitted/);
  });
});
