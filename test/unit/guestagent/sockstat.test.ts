import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { inUseCounts, SocketCounts } from "../../../src/guestagent/sockstat.js";

describe("socket counts (the guest agent's cheap change trigger)", () => {
  it("keeps only the in-use counts: memory and TIME_WAIT move with traffic, not with listeners", () => {
    const text = "sockets: used 120\nTCP: inuse 5 orphan 0 tw 3 alloc 7 mem 2\nUDP: inuse 2 mem 1\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n";
    const text6 = "TCP6: inuse 2\nUDP6: inuse 1\nUDPLITE6: inuse 0\n";
    assert.equal(inUseCounts(text + text6), "TCP:5 UDP:2 TCP6:2 UDP6:1");
    assert.equal(inUseCounts(text.replace("tw 3", "tw 9").replace("mem 2", "mem 40")), inUseCounts(text));
  });

  it("changes when a listener opens and when it closes", async () => {
    const counts = new SocketCounts();
    try {
      counts.changed();
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      assert.equal(counts.changed(), true, "after listen()");
      await new Promise((resolve) => server.close(resolve));
      assert.equal(counts.changed(), true, "after close()");
    } finally {
      counts.close();
    }
  });
});
