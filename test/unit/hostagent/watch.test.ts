import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Event } from "../../../src/hostagent/events.js";
import { dateTimeOf, humanReadableLines, isBefore, jsonLine } from "../../../src/hostagent/watch.js";

const T = "2026-03-04T05:06:07.123456789+09:00";
const ev = (status: Event["status"], time = T): Event => ({ time, status });

describe("limactl watch formatting", () => {
  it("prints each fact of an event as `DATE TIME INSTANCE | MESSAGE`, in Lima's order and the event's own zone", () => {
    const lines = humanReadableLines("dev", ev({ running: true, degraded: true, sshLocalPort: 60022, errors: ["e1", "e2"], cloudInitProgress: { logLine: "ignored", completed: true } }));
    assert.deepEqual(lines, [
      "2026-03-04 05:06:07 dev | running (degraded)",
      "2026-03-04 05:06:07 dev | ssh available on port 60022",
      "2026-03-04 05:06:07 dev | error: e1",
      "2026-03-04 05:06:07 dev | error: e2",
      "2026-03-04 05:06:07 dev | cloud-init completed",
    ]);
    assert.deepEqual(humanReadableLines("dev", ev({ exiting: true })), ["2026-03-04 05:06:07 dev | exiting"]);
    assert.deepEqual(humanReadableLines("dev", ev({ cloudInitProgress: { logLine: "Cloud-init v. 22.4.2 running", active: true } })), ["2026-03-04 05:06:07 dev | cloud-init: Cloud-init v. 22.4.2 running"]);
    assert.deepEqual(humanReadableLines("dev", ev({})), []);
  });

  it("words port-forward and vsock events as Lima", () => {
    const pf = (portForward: NonNullable<Event["status"]["portForward"]>): string[] => humanReadableLines("a", ev({ running: true, portForward })).slice(1);
    assert.deepEqual(pf({ type: "forwarding", protocol: "tcp", guestAddr: "127.0.0.1:80", hostAddr: "127.0.0.1:8080" }), ["2026-03-04 05:06:07 a | forwarding tcp 127.0.0.1:80 to 127.0.0.1:8080"]);
    assert.deepEqual(pf({ type: "not-forwarding", protocol: "udp", guestAddr: "0.0.0.0:53" }), ["2026-03-04 05:06:07 a | not forwarding udp 0.0.0.0:53"]);
    assert.deepEqual(pf({ type: "stopping", protocol: "tcp", guestAddr: "[::]:22" }), ["2026-03-04 05:06:07 a | stopping forwarding tcp [::]:22"]);
    assert.deepEqual(pf({ type: "failed", protocol: "tcp", guestAddr: "1.2.3.4:5", error: "boom" }), ["2026-03-04 05:06:07 a | failed to forward tcp 1.2.3.4:5: boom"]);
    assert.deepEqual(humanReadableLines("a", ev({ vsock: { type: "started", hostAddr: "127.0.0.1:2222", vsockPort: 22 } })), ["2026-03-04 05:06:07 a | started vsock forwarder: 127.0.0.1:2222 -> vsock:22"]);
    assert.deepEqual(humanReadableLines("a", ev({ vsock: { type: "skipped", reason: "r" } })), ["2026-03-04 05:06:07 a | skipped vsock forwarder: r"]);
  });

  it("writes --json lines as Lima's Go structs encode them: instance, then the event with empty fields left out", () => {
    const status = { running: false, sshLocalPort: 0, errors: [], portForward: { type: "forwarding", protocol: "tcp", guestAddr: "127.0.0.1:80", hostAddr: "", error: "" } } as unknown as Event["status"];
    assert.equal(jsonLine("dev", ev(status)), `{"instance":"dev","event":{"time":"${T}","status":{"portForward":{"type":"forwarding","protocol":"tcp","guestAddr":"127.0.0.1:80"}}}}`);
    assert.equal(jsonLine("dev", { status: { exiting: true } } as Event), '{"instance":"dev","event":{"time":"0001-01-01T00:00:00Z","status":{"exiting":true}}}');
  });

  it("skips events from before the watch began, nanosecond times included", () => {
    const begin = Date.parse("2026-03-03T20:06:07.123Z");
    assert.equal(isBefore(ev({}, T), begin), false);
    assert.equal(isBefore(ev({}, "2026-03-03T20:06:07.122999Z"), begin), true);
    assert.equal(isBefore(ev({}, ""), begin), true);
    assert.equal(isBefore(ev({}, T), Number.NEGATIVE_INFINITY), false);
  });

  it("formats the time with Go's time.DateTime layout", () => {
    assert.equal(dateTimeOf("2026-12-31T23:59:59Z"), "2026-12-31 23:59:59");
  });
});
