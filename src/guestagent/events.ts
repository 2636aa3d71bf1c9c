// GetEvents: one poller shared by every open stream re-reads the local ports every tick while at
// least one stream listens; each stream diffs against its own previous list (loaded from
// event-state.json when it starts, saved when it ends) and is sent only non-empty events.
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { Empty, GuestEvent, IPPort } from "./api/index.js";
import { toTimestamp } from "./api/index.js";
import { loadEventState, saveEventState } from "./eventstate.js";
import { diffPorts } from "./ports.js";
import { logger } from "../log/logger.js";

export type PortsSnapshot = { ports: IPPort[]; error?: undefined } | { ports?: undefined; error: string };

export interface PortsReader {
  read(): { ports: IPPort[]; version: number };
}

type Listener = (snapshot: PortsSnapshot) => void;

/**
 * Lists the ports every `intervalMs` (Lima's `--tick`) and at once when poked (sockstat.ts sees
 * the socket counts move), so a new listener is seen within the watcher's interval while an idle
 * guest pays only for the watcher.
 */
export class PortWatcher {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = -1;
  private lastError: string | undefined;
  constructor(
    private readonly reader: PortsReader,
    private readonly intervalMs: number,
  ) {}

  /** A fresh read. */
  snapshot(): PortsSnapshot {
    try {
      return { ports: this.reader.read().ports };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** Calls `listener` with every change (and every new error) until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0 || !this.timer) return;
      clearInterval(this.timer);
      this.timer = undefined;
    };
  }

  /** Lists the ports now (if anyone listens), e.g. because the socket counts moved. */
  poke(): void {
    if (this.timer) this.tick();
  }

  private tick(): void {
    let snapshot: PortsSnapshot;
    try {
      const { ports, version } = this.reader.read();
      this.lastError = undefined;
      if (version === this.lastVersion) return;
      this.lastVersion = version;
      snapshot = { ports };
    } catch (err) {
      const message = (err as Error).message;
      // A lasting failure is reported once, not every tick.
      if (message === this.lastError) return;
      this.lastError = message;
      snapshot = { error: message };
    }
    for (const listener of this.listeners) listener(snapshot);
  }
}

/** The event to send for a new snapshot (undefined when nothing changed) and the stream's next list. */
export function nextEvent(previous: IPPort[], snapshot: PortsSnapshot, now: Date): { event?: GuestEvent; ports: IPPort[] } {
  if (snapshot.error !== undefined) {
    return { event: { time: toTimestamp(now), added_local_ports: [], removed_local_ports: [], errors: [snapshot.error] }, ports: previous };
  }
  const { added, removed } = diffPorts(previous, snapshot.ports);
  if (added.length === 0 && removed.length === 0) return { ports: snapshot.ports };
  return { event: { time: toTimestamp(now), added_local_ports: added, removed_local_ports: removed, errors: [] }, ports: snapshot.ports };
}

function loadOrEmpty(runtimeDir: string): IPPort[] {
  try {
    return loadEventState(runtimeDir);
  } catch (err) {
    logger.error(`failed to load state: ${(err as Error).message}`);
    return [];
  }
}

/** Serves one GetEvents call until the client goes away. */
export function streamEvents(call: ServerWritableStream<Empty, GuestEvent>, watcher: PortWatcher, runtimeDir: string): void {
  let ports = loadOrEmpty(runtimeDir);
  const send = (snapshot: PortsSnapshot): void => {
    const next = nextEvent(ports, snapshot, new Date());
    ports = next.ports;
    if (next.event && !call.writableEnded && !call.destroyed) call.write(next.event);
  };
  send(watcher.snapshot());
  const unsubscribe = watcher.subscribe(send);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    try {
      saveEventState(runtimeDir, ports);
    } catch (err) {
      logger.error(`failed to save state: ${(err as Error).message}`);
    }
  };
  call.on("cancelled", end);
  call.on("close", end);
  call.on("error", end);
}
