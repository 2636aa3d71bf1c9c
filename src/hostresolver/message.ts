// DNS wire-format pieces the resolver needs without decoding whole messages: the header, the
// record layout (to cut a reply down to 512 bytes without re-encoding records it does not know),
// TXT chunking and resolv.conf.

export const HEADER_SIZE = 12;
/** Classic DNS-over-UDP limit; Lima truncates every UDP reply to it (busybox nslookup, lima#380). */
export const UDP_REPLY_LIMIT = 512;
/** Longest character-string in a TXT record. */
export const TXT_CHUNK_BYTES = 255;

const QR = 0x8000;
const OPCODE_MASK = 0x7800;
const TC = 0x0200;
const RD = 0x0100;
const CD = 0x0010;
const OPCODE_QUERY = 0;
const OPCODE_NOTIFY = 4;
export const RCODE_FORMERR = 1;
export const RCODE_NOTIMP = 4;
const TYPE_OPT = 41;

export interface Header {
  id: number;
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function readHeader(buf: Buffer): Header | undefined {
  if (buf.length < HEADER_SIZE) return undefined;
  return {
    id: buf.readUInt16BE(0),
    flags: buf.readUInt16BE(2),
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

export const opcodeOf = (flags: number): number => (flags & OPCODE_MASK) >> 11;
/** A standard query (not a NOTIFY, which is only forwarded). */
export const isQuery = (flags: number): boolean => opcodeOf(flags) === OPCODE_QUERY;

/**
 * What to do with an incoming message, as the Go DNS server Lima uses decides: responses are
 * ignored, opcodes other than QUERY/NOTIFY are NOTIMP, and anything but one question (or more
 * records than a query or notify can carry) is FORMERR.
 */
export function acceptAction(h: Header): "accept" | "ignore" | "formerr" | "notimp" {
  if ((h.flags & QR) !== 0) return "ignore";
  const opcode = opcodeOf(h.flags);
  if (opcode !== OPCODE_QUERY && opcode !== OPCODE_NOTIFY) return "notimp";
  if (h.qdcount !== 1 || h.ancount > 1 || h.nscount > 1 || h.arcount > 2) return "formerr";
  return "accept";
}

/** Header flags of a reply: QR, the query's opcode, and for a QUERY its RD and CD bits; rcode 0. */
export function replyFlags(queryFlags: number): number {
  const keep = opcodeOf(queryFlags) === OPCODE_QUERY ? OPCODE_MASK | RD | CD : OPCODE_MASK;
  return QR | (queryFlags & keep);
}

/** A reply that is only a header: the query's id, reply flags and `rcode`, no sections. */
export function headerOnlyReply(query: Header, rcode: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  buf.writeUInt16BE(query.id, 0);
  buf.writeUInt16BE(replyFlags(query.flags) | rcode, 2);
  return buf;
}

/** Offset just past the (possibly compressed) name at `offset`. */
function skipName(buf: Buffer, offset: number): number {
  for (let pos = offset; pos < buf.length; ) {
    const len = buf[pos] ?? 0;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    if ((len & 0xc0) !== 0) throw new Error("bad label");
    pos += len + 1;
  }
  throw new Error("name runs past the end of the message");
}

export interface RecordSpan {
  start: number;
  end: number;
  /** 0 answer, 1 authority, 2 additional. */
  section: number;
  isOpt: boolean;
}

export interface Layout {
  header: Header;
  /** Offset where the question section ends. */
  questionsEnd: number;
  records: RecordSpan[];
}

/** Where every record of a message lies; throws on a malformed message. */
export function messageLayout(buf: Buffer): Layout {
  const header = readHeader(buf);
  if (!header) throw new Error("message shorter than a DNS header");
  let offset = HEADER_SIZE;
  for (let i = 0; i < header.qdcount; i++) offset = skipName(buf, offset) + 4;
  const questionsEnd = offset;
  const records: RecordSpan[] = [];
  const counts = [header.ancount, header.nscount, header.arcount];
  counts.forEach((count, section) => {
    for (let i = 0; i < count; i++) {
      const start = offset;
      const fixed = skipName(buf, offset);
      if (fixed + 10 > buf.length) throw new Error("record runs past the end of the message");
      const end = fixed + 10 + buf.readUInt16BE(fixed + 8);
      records.push({ start, end, section, isOpt: buf.readUInt16BE(fixed) === TYPE_OPT });
      offset = end;
    }
  });
  if (offset > buf.length) throw new Error("record runs past the end of the message");
  return { header, questionsEnd, records };
}

/**
 * Cuts a message to at most `limit` bytes as Lima's DNS library does: keeps the header, the
 * questions and as many leading records as fit, keeps a trailing EDNS OPT record, and sets TC
 * when a record was dropped. Records are copied byte for byte, so every type survives.
 */
export function truncateMessage(buf: Buffer, limit = UDP_REPLY_LIMIT): Buffer {
  if (buf.length <= limit) return buf;
  const { header, questionsEnd, records } = messageLayout(buf);
  const last = records.at(-1);
  const opt = last?.isOpt ? last : undefined;
  const candidates = opt ? records.slice(0, -1) : records;
  const budget = limit - (opt ? opt.end - opt.start : 0);
  let kept = 0;
  while (kept < candidates.length && (candidates[kept]?.end ?? Infinity) <= budget) kept++;
  const keptRecords = candidates.slice(0, kept);
  const cut = keptRecords.at(-1)?.end ?? questionsEnd;
  const parts = [buf.subarray(0, cut), ...(opt ? [buf.subarray(opt.start, opt.end)] : [])];
  const out = Buffer.concat(parts);
  const inSection = (section: number): number => keptRecords.filter((r) => r.section === section).length;
  const dropped = kept < candidates.length;
  out.writeUInt16BE(header.flags | (dropped ? TC : 0), 2);
  out.writeUInt16BE(inSection(0), 6);
  out.writeUInt16BE(inSection(1), 8);
  out.writeUInt16BE(inSection(2) + (opt ? 1 : 0), 10);
  return out;
}

/** Splits a TXT value into character-strings of at most 255 bytes. */
export function chunkify(value: Buffer, limit = TXT_CHUNK_BYTES): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < value.length; offset += limit) chunks.push(value.subarray(offset, offset + limit));
  return chunks;
}

/** The `nameserver` entries of a resolv.conf, in order. */
export function resolvConfNameservers(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "nameserver" && fields[1] !== undefined) servers.push(fields[1]);
  }
  return servers;
}
