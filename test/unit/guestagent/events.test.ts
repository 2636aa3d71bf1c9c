import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { IPPort } from "../../../src/guestagent/api/index.js";
import { nextEvent, PortWatcher, type PortsSnapshot } from "../../../src/guestagent/events.js";
import { decodeEventState, encodeEventState, loadEventState, saveEventState } from "../../../src/guestagent/eventstate.js";

const tcp = (ip: string, port: number): IPPort => ({ protocol: "tcp", ip, port });
const NOW = new Date("2026-01-02T03:04:05.678Z");

describe("nextEvent", () => {
  it("sends added and removed ports with the time", () => {
    const { event, ports } = nextEvent([tcp("0.0.0.0", 22)], { ports: [tcp("0.0.0.0", 80)] }, NOW);
    assert.deepEqual(event, { time: { seconds: 1767323045, nanos: 678e6 }, added_local_ports: [tcp("0.0.0.0", 80)], removed_local_ports: [tcp("0.0.0.0", 22)], errors: [] });
    assert.deepEqual(ports, [tcp("0.0.0.0", 80)]);
  });

  it("sends nothing when nothing changed", () => {
    assert.equal(nextEvent([tcp("0.0.0.0", 22)], { ports: [tcp("0.0.0.0", 22)] }, NOW).event, undefined);
  });

  it("sends errors and keeps the previous list (a failed read is not 'every port closed')", () => {
    const { event, ports } = nextEvent([tcp("0.0.0.0", 22)], { error: "EACCES" }, NOW);
    assert.deepEqual(event?.errors, ["EACCES"]);
    assert.deepEqual(ports, [tcp("0.0.0.0", 22)]);
  });
});

describe("PortWatcher", () => {
  it("polls only while subscribed, tells every subscriber about changes, and each new error once", async () => {
    let reads = 0;
    let state: { ports: IPPort[]; version: number } | Error = { ports: [], version: 0 };
    const watcher = new PortWatcher({ read: () => { reads++; if (state instanceof Error) throw state; return state; } }, 5);
    const seenA: PortsSnapshot[] = [];
    const seenB: PortsSnapshot[] = [];
    const stopA = watcher.subscribe((s) => seenA.push(s));
    const stopB = watcher.subscribe((s) => seenB.push(s));
    await sleep(30);
    assert.equal(seenA.length, 1, "the first tick publishes the initial list");
    state = { ports: [tcp("0.0.0.0", 80)], version: 1 };
    await sleep(30);
    assert.deepEqual(seenA.at(-1), { ports: [tcp("0.0.0.0", 80)] });
    assert.deepEqual(seenB, seenA);
    state = new Error("boom");
    await sleep(30);
    assert.deepEqual(seenA.filter((s) => s.error).length, 1);
    stopA();
    stopB();
    const after = reads;
    await sleep(30);
    assert.equal(reads, after, "no polling without subscribers");
  });

  it("lists the ports at once when poked, and only while subscribed", async () => {
    let reads = 0;
    const watcher = new PortWatcher({ read: () => ({ ports: [], version: reads++ }) }, 60_000);
    watcher.poke();
    assert.equal(reads, 0, "nobody listens");
    const stop = watcher.subscribe(() => undefined);
    watcher.poke();
    watcher.poke();
    assert.equal(reads, 2);
    stop();
  });

});

describe("event-state.json", () => {
  it("uses Lima's JSON (omitempty) both ways", () => {
    assert.equal(encodeEventState([tcp("0.0.0.0", 22)]), '{"ports":[{"protocol":"tcp","ip":"0.0.0.0","port":22}]}');
    assert.equal(encodeEventState([]), "{}");
    assert.deepEqual(decodeEventState('{"ports":[{"protocol":"udp","port":53}]}', "f"), [{ protocol: "udp", ip: "", port: 53 }]);
    assert.deepEqual(decodeEventState("{}", "f"), []);
    assert.throws(() => decodeEventState('{"ports":{}}', "/run/x/event-state.json"), /event-state.json: field "ports" must be an array/);
  });

  it("saves to and loads from the runtime dir; missing file = no ports", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ga-state-"));
    assert.deepEqual(loadEventState(dir), []);
    saveEventState(dir, [tcp("::", 8080)]);
    assert.equal(readFileSync(path.join(dir, "event-state.json"), "utf8"), '{"ports":[{"protocol":"tcp","ip":"::","port":8080}]}');
    assert.deepEqual(loadEventState(dir), [tcp("::", 8080)]);
    writeFileSync(path.join(dir, "event-state.json"), "not json");
    assert.throws(() => loadEventState(dir));
    rmSync(dir, { recursive: true });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
