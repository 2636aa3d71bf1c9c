// The heart of the user-v2 daemon: a learning Ethernet switch between QEMU NICs that speak QEMU's
// stream netdev protocol (each frame preceded by its length, 4 bytes big-endian). Pure: sockets
// are the daemon's business.

/** Longest frame accepted: a jumbo frame plus headers; anything longer means a broken peer. */
export const MAX_FRAME_BYTES = 65_550;
const LENGTH_BYTES = 4;
const MAC_BYTES = 6;

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** The complete frames in what arrived so far; throws on a length no NIC sends. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= LENGTH_BYTES) {
      const length = this.pending.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new Error(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.pending.length < LENGTH_BYTES + length) break;
      frames.push(this.pending.subarray(LENGTH_BYTES, LENGTH_BYTES + length));
      this.pending = this.pending.subarray(LENGTH_BYTES + length);
    }
    return frames;
  }
}

export function encodeFrame(frame: Buffer): Buffer {
  const header = Buffer.alloc(LENGTH_BYTES);
  header.writeUInt32BE(frame.length, 0);
  return Buffer.concat([header, frame]);
}

export function formatMAC(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function isGroupAddress(mac: Buffer): boolean {
  return ((mac[0] ?? 0) & 1) === 1;
}

/**
 * MAC learning: a frame teaches where its source lives; unicast to a known address goes to that
 * port only, everything else (broadcast, multicast, unknown) to every other port.
 */
export class EthernetSwitch<Port> {
  private readonly ports = new Set<Port>();
  private readonly table = new Map<string, Port>();

  addPort(port: Port): void {
    this.ports.add(port);
  }

  removePort(port: Port): void {
    this.ports.delete(port);
    for (const [mac, p] of this.table) if (p === port) this.table.delete(mac);
  }

  /** The ports a frame from `from` goes to; a runt frame goes nowhere. */
  destinations(from: Port, frame: Buffer): Port[] {
    if (frame.length < 2 * MAC_BYTES) return [];
    const dst = frame.subarray(0, MAC_BYTES);
    const src = frame.subarray(MAC_BYTES, 2 * MAC_BYTES);
    if (!isGroupAddress(src)) this.table.set(formatMAC(src), from);
    if (!isGroupAddress(dst)) {
      const known = this.table.get(formatMAC(dst));
      if (known !== undefined) return known === from || !this.ports.has(known) ? [] : [known];
    }
    return [...this.ports].filter((p) => p !== from);
  }
}
