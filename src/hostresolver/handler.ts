// Answering one DNS message the way Lima's host resolver does: static hosts and aliases locally;
// A/AAAA, CNAME, TXT, NS, MX, SRV through the host's own resolver (getaddrinfo for addresses, so
// /etc/hosts, VPN split DNS and mDNS apply); everything else, and every lookup that fails, is
// forwarded verbatim to the host's DNS servers.
import dns from "node:dns";
import dnsPacket from "dns-packet";
import { logger } from "../log/logger.js";
import { errorMessage } from "../util/errors.js";
import { buildHostTable, canonicalName, type HostTable, ipv4Of, resolveAlias } from "./hosts.js";
import {
  acceptAction,
  chunkify,
  HEADER_SIZE,
  headerOnlyReply,
  type Header,
  isQuery,
  messageLayout,
  RCODE_FORMERR,
  RCODE_NOTIMP,
  readHeader,
  replyFlags,
  truncateMessage,
  UDP_REPLY_LIMIT,
} from "./message.js";
import { forwardQuery, FORWARD_TIMEOUT_MS, systemUpstreams, type Upstream } from "./upstream.js";

/** TTL of every locally made answer. */
export const ANSWER_TTL_S = 5;
/** The host resolver's per-query timeout and tries for CNAME/TXT/NS/MX/SRV lookups. */
const SYSTEM_RESOLVER_TIMEOUT_MS = 2000;
const SYSTEM_RESOLVER_TRIES = 2;

/** The host's own resolver, as far as the DNS server uses it. */
export interface SystemResolver {
  /** Every address of a name (getaddrinfo). */
  lookupIP(name: string): Promise<string[]>;
  cname(name: string): Promise<string[]>;
  txt(name: string): Promise<string[][]>;
  ns(name: string): Promise<string[]>;
  mx(name: string): Promise<dns.MxRecord[]>;
  srv(name: string): Promise<dns.SrvRecord[]>;
}

/** `servers` (ip or ip:port) replace the host's DNS servers for the non-address lookups. */
export function systemResolver(servers?: string[]): SystemResolver {
  const resolver = new dns.promises.Resolver({ timeout: SYSTEM_RESOLVER_TIMEOUT_MS, tries: SYSTEM_RESOLVER_TRIES });
  if (servers) resolver.setServers(servers);
  return {
    lookupIP: async (name) => (await dns.promises.lookup(name, { all: true, verbatim: true })).map((a) => a.address),
    cname: (name) => resolver.resolveCname(name),
    txt: (name) => resolver.resolveTxt(name),
    ns: (name) => resolver.resolveNs(name),
    mx: (name) => resolver.resolveMx(name),
    srv: (name) => resolver.resolveSrv(name),
  };
}

export interface HandlerOptions {
  /** Answer AAAA queries; false: an empty NOERROR reply. */
  ipv6: boolean;
  /** Name → IP address, or name → name it is an alias of. */
  staticHosts: Record<string, string>;
  /** Names read at each query (the instances on a user-v2 network come and go); static names win. */
  dynamicHosts?: () => Record<string, string>;
  /** Where unhandled queries go; default: the host's resolv.conf servers. */
  upstreams?: Upstream[];
  forwardTimeoutMs?: number;
  resolver?: SystemResolver;
}

export type Transport = "udp" | "tcp";
/** Returns the reply to send, or undefined to send nothing. */
export type QueryHandler = (query: Buffer, transport: Transport) => Promise<Buffer | undefined>;

type Answer = dnsPacket.Answer;
type Question = dnsPacket.Question;

/** getaddrinfo does not find /etc/hosts names written with the root dot. */
const withoutRootDot = (name: string): string => (name.endsWith(".") && name !== "." ? name.slice(0, -1) : name);

async function addressAnswers(q: Question, table: HostTable, resolver: SystemResolver): Promise<Answer[] | undefined> {
  const target = resolveAlias(table, q.name);
  const staticIP = table.ips.get(target);
  let addrs: string[];
  try {
    addrs = staticIP !== undefined ? [staticIP] : await resolver.lookupIP(withoutRootDot(target));
  } catch (err) {
    logger.debug("handleQuery lookup IP failed", { error: errorMessage(err) });
    return undefined;
  }
  const answers: Answer[] = [];
  for (const ip of addrs) {
    const v4 = ipv4Of(ip);
    if (q.type === "A" && v4 !== undefined) answers.push({ type: "A", name: q.name, ttl: ANSWER_TTL_S, data: v4 });
    if (q.type === "AAAA" && v4 === undefined) answers.push({ type: "AAAA", name: q.name, ttl: ANSWER_TTL_S, data: ip });
  }
  return answers.length > 0 ? answers : undefined;
}

/** Whether a lookup error means "the name exists but has no such record" (Go then returns the name itself). */
const isNoData = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === dns.NODATA;

async function cnameAnswers(q: Question, table: HostTable, resolver: SystemResolver): Promise<Answer[] | undefined> {
  let target = resolveAlias(table, q.name);
  if (!table.ips.has(target)) {
    try {
      target = (await resolver.cname(target))[0] ?? target;
    } catch (err) {
      if (!isNoData(err)) {
        logger.debug("handleQuery lookup CNAME failed", { error: errorMessage(err) });
        return undefined;
      }
    }
  }
  if (canonicalName(target) === canonicalName(q.name)) return undefined;
  return [{ type: "CNAME", name: q.name, ttl: ANSWER_TTL_S, data: withoutRootDot(target) }];
}

/** Runs one system-resolver lookup; a failure means "not handled here". */
async function attempt<T>(what: string, lookup: () => Promise<T[]>): Promise<T[]> {
  try {
    return await lookup();
  } catch (err) {
    logger.debug(`handleQuery lookup ${what} failed`, { error: errorMessage(err) });
    return [];
  }
}

async function resolverAnswers(q: Question, resolver: SystemResolver): Promise<Answer[]> {
  const base = { name: q.name, ttl: ANSWER_TTL_S };
  switch (q.type) {
    case "TXT":
      // The resolver joins a record's strings; split them again so each fits a character-string.
      return (await attempt("TXT", () => resolver.txt(q.name))).map((parts) => ({ ...base, type: "TXT", data: chunkify(Buffer.from(parts.join(""))) }));
    case "NS":
      return (await attempt("NS", () => resolver.ns(q.name))).filter((host) => host !== "").map((host) => ({ ...base, type: "NS", data: host }));
    case "MX":
      return (await attempt("MX", () => resolver.mx(q.name)))
        .filter((mx) => mx.exchange !== "")
        .map((mx) => ({ ...base, type: "MX", data: { preference: mx.priority, exchange: mx.exchange } }));
    case "SRV":
      return (await attempt("SRV", () => resolver.srv(q.name))).map((srv) => ({
        ...base,
        type: "SRV",
        data: { target: srv.name, port: srv.port, priority: srv.priority, weight: srv.weight },
      }));
    default:
      return [];
  }
}

/** Local answers for a question, [] for "no data" that is still an answer, undefined to forward. */
async function localAnswers(q: Question, ipv6: boolean, table: HostTable, resolver: SystemResolver): Promise<Answer[] | undefined> {
  switch (q.type) {
    case "AAAA":
      // NODATA (RFC 2308 §2.2): NOERROR with no records.
      return ipv6 ? addressAnswers(q, table, resolver) : [];
    case "A":
      return addressAnswers(q, table, resolver);
    case "CNAME":
      return cnameAnswers(q, table, resolver);
    default: {
      const answers = await resolverAnswers(q, resolver);
      return answers.length > 0 ? answers : undefined;
    }
  }
}

/** Pointer to the question name at offset 12: every answer is about the one question. */
const QUESTION_NAME_POINTER = Buffer.from([0xc0, HEADER_SIZE]);

/** Answer records named by a pointer to the question (name bytes kept exactly) in the question's class. */
function encodeAnswers(answers: Answer[], qclass: number): Buffer[] {
  const packet = dnsPacket.encode({ type: "response", answers: answers.map((a) => ({ ...a, name: "." })) });
  return messageLayout(packet).records.map((span) => {
    const record = Buffer.concat([QUESTION_NAME_POINTER, packet.subarray(span.start + 1, span.end)]);
    record.writeUInt16BE(qclass, 4);
    return record;
  });
}

/** A reply to `query` (header, its question as sent) with `answers`. */
export function buildReply(query: Buffer, answers: Answer[]): Buffer {
  const { header, questionsEnd } = messageLayout(query);
  const head = Buffer.alloc(HEADER_SIZE);
  head.writeUInt16BE(header.id, 0);
  head.writeUInt16BE(replyFlags(header.flags), 2);
  head.writeUInt16BE(header.qdcount > 0 ? 1 : 0, 4);
  head.writeUInt16BE(answers.length, 6);
  const question = query.subarray(HEADER_SIZE, questionsEnd);
  const qclass = question.length >= 2 ? question.readUInt16BE(question.length - 2) : 1;
  return Buffer.concat([head, question, ...encodeAnswers(answers, qclass)]);
}

function rejection(header: Header, action: ReturnType<typeof acceptAction>): Buffer | undefined {
  if (action === "notimp") return headerOnlyReply(header, RCODE_NOTIMP);
  if (action === "formerr") return headerOnlyReply(header, RCODE_FORMERR);
  return undefined;
}

export function createHandler(options: HandlerOptions): QueryHandler {
  const staticTable = buildHostTable(options.staticHosts);
  const { dynamicHosts } = options;
  const tableNow = (): HostTable => (dynamicHosts ? buildHostTable({ ...dynamicHosts(), ...options.staticHosts }) : staticTable);
  const resolver = options.resolver ?? systemResolver();
  const upstreams = options.upstreams ?? systemUpstreams();
  const timeoutMs = options.forwardTimeoutMs ?? FORWARD_TIMEOUT_MS;

  return async (query, transport) => {
    const header = readHeader(query);
    if (!header) return undefined;
    const action = acceptAction(header);
    if (action !== "accept") return rejection(header, action);
    let question: Question | undefined;
    try {
      question = dnsPacket.decode(query).questions?.[0];
    } catch {
      return headerOnlyReply(header, RCODE_FORMERR);
    }
    const fit = (reply: Buffer): Buffer => (transport === "udp" ? truncateMessage(reply, UDP_REPLY_LIMIT) : reply);
    const answers = question && isQuery(header.flags) ? await localAnswers(question, options.ipv6, tableNow(), resolver) : undefined;
    if (answers) return fit(buildReply(query, answers));
    // Not answered here: the host's DNS servers answer, or (all failing) an empty reply.
    return fit((await forwardQuery(query, upstreams, timeoutMs)) ?? buildReply(query, []));
  };
}
