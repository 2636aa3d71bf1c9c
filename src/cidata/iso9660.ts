// ISO 9660 image writer with Rock Ridge (RRIP 1991A) extensions, used for the cloud-init
// NoCloud `cidata.iso`. The primary names are ISO 9660 level-1 (8.3, uppercase) identifiers;
// the real (case-preserving, long) names, permissions and timestamps live in Rock Ridge
// entries, which is what the Linux guest reads.
//
// Layout: system area (16 sectors) | primary volume descriptor | terminator | L path table |
// M path table | directory extents | Rock Ridge continuation areas | file data extents.

import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { LimaError } from "../util/errors.js";

export interface IsoEntry {
  /** Slash-separated path inside the image, e.g. "boot/00-foo.sh". Parent directories are implied. */
  path: string;
  data: Uint8Array | string;
  /** Permission bits; default 0o644. */
  mode?: number;
  /** Default: the newest mtime among all entries (the Unix epoch if none has one). */
  mtime?: Date;
}

const SECTOR = 2048;
const SYSTEM_AREA_SECTORS = 16;
const MAX_DIR_RECORD = 255;
const DIR_RECORD_BASE = 33;
const MAX_NAME_BYTES = 250; // one NM entry; Linux isofs truncates Rock Ridge names at 254 bytes
const MAX_DEPTH = 8; // ECMA-119 directory hierarchy limit (root is level 1)
const MAX_FILE_SIZE = 0xffffffff; // single extent; multi-extent files are not supported
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const CE_LENGTH = 28;

const RRIP_ID = "RRIP_1991A";
const RRIP_DESCRIPTOR = "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
const RRIP_SOURCE =
  "PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";

interface FileNode {
  kind: "file";
  name: string;
  isoName: string;
  data: Uint8Array;
  mode: number;
  mtime: Date;
  extent: number;
}

interface DirNode {
  kind: "dir";
  name: string;
  isoName: string;
  parent: DirNode | undefined;
  children: Map<string, Node>;
  /** Position in the path table, 1-based (root = 1). */
  number: number;
  extent: number;
  sectors: number;
  records: DirRecord[];
}

type Node = FileNode | DirNode;

/** One directory record as it will be written, with its SUSP entries split into inline and continuation parts. */
interface DirRecord {
  identifier: Uint8Array;
  target: Node;
  time: Date;
  inline: Uint8Array[];
  continuation: Uint8Array[];
  /** Where the continuation area is written (sector, byte offset); set during layout. */
  ceSector: number;
  ceOffset: number;
}

/** Builds the whole image in one buffer. Pure: the same input gives the same bytes. */
export function buildIso(volumeId: string, entries: IsoEntry[]): Uint8Array {
  validateVolumeId(volumeId);
  const time = newestMtime(entries) ?? new Date(0);
  const root = buildTree(entries, time);
  const dirs = directoriesInPathTableOrder(root);
  for (const dir of dirs) dir.records = directoryRecords(dir, time);
  const files = filesOf(dirs);
  const layout = assignLocations(dirs, files);

  const image = Buffer.alloc(layout.volumeSectors * SECTOR);
  writePrimaryVolumeDescriptor(image, { ...layout, volumeId, root, time });
  writeTerminator(image);
  image.set(pathTableBytes(dirs, "L"), layout.lPathTableSector * SECTOR);
  image.set(pathTableBytes(dirs, "M"), layout.mPathTableSector * SECTOR);
  for (const dir of dirs) writeDirectory(image, dir);
  for (const file of files) image.set(file.data, file.extent * SECTOR);
  return image;
}

interface Locations {
  volumeSectors: number;
  pathTableSize: number;
  lPathTableSector: number;
  mPathTableSector: number;
}

/** Gives directories, continuation areas and files their sectors, in image order. */
function assignLocations(dirs: DirNode[], files: FileNode[]): Locations {
  // Path table entries have a fixed size, so the extents (still unset) do not change it.
  const pathTableSize = pathTableBytes(dirs, "L").length;
  const lPathTableSector = SYSTEM_AREA_SECTORS + 2;
  const mPathTableSector = lPathTableSector + sectorsFor(pathTableSize);
  let next = mPathTableSector + sectorsFor(pathTableSize);
  for (const dir of dirs) {
    dir.sectors = directorySectors(dir.records);
    dir.extent = next;
    next += dir.sectors;
  }
  next = placeContinuationAreas(dirs, next);
  for (const file of files) {
    file.extent = file.data.length === 0 ? 0 : next; // empty files own no sector
    next += sectorsFor(file.data.length);
  }
  return { volumeSectors: next, pathTableSize, lPathTableSector, mPathTableSector };
}

/** Writes the image atomically: a temporary file next to `file`, then rename. */
export async function writeIso(file: string, volumeId: string, entries: IsoEntry[]): Promise<void> {
  const image = buildIso(volumeId, entries);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomBytes(6).toString("hex")}`);
  try {
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(image);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Input validation and tree

function validateVolumeId(volumeId: string): void {
  if (volumeId.length === 0 || volumeId.length > 32 || !/^[\x20-\x7e]+$/.test(volumeId)) {
    throw new LimaError(`invalid ISO volume identifier ${JSON.stringify(volumeId)}: need 1-32 printable ASCII characters`);
  }
}

function newestMtime(entries: IsoEntry[]): Date | undefined {
  let newest: Date | undefined;
  for (const entry of entries) {
    if (entry.mtime && (!newest || entry.mtime.getTime() > newest.getTime())) newest = entry.mtime;
  }
  return newest;
}

function splitEntryPath(entryPath: string): string[] {
  const parts = entryPath.split("/");
  for (const part of parts) {
    if (part === "" || part === "." || part === "..") {
      throw new LimaError(`invalid ISO entry path ${JSON.stringify(entryPath)}`);
    }
    if (part.includes("\0")) throw new LimaError(`invalid ISO entry path ${JSON.stringify(entryPath)}: contains NUL`);
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) {
      throw new LimaError(`ISO entry name ${JSON.stringify(part)} is longer than ${MAX_NAME_BYTES} bytes`);
    }
  }
  if (parts.length > MAX_DEPTH) {
    throw new LimaError(`ISO entry path ${JSON.stringify(entryPath)} is nested deeper than ${MAX_DEPTH} levels`);
  }
  return parts;
}

function newDir(name: string, parent: DirNode | undefined): DirNode {
  return { kind: "dir", name, isoName: "", parent, children: new Map(), number: 0, extent: 0, sectors: 0, records: [] };
}

function buildTree(entries: IsoEntry[], defaultTime: Date): DirNode {
  const root = newDir("", undefined);
  for (const entry of entries) {
    const parts = splitEntryPath(entry.path);
    const fileName = parts.pop() as string;
    let dir = root;
    for (const part of parts) {
      const existing = dir.children.get(part);
      if (existing?.kind === "file") throw new LimaError(`ISO entry ${JSON.stringify(entry.path)}: ${JSON.stringify(part)} is a file`);
      const child = existing ?? newDir(part, dir);
      dir.children.set(part, child);
      dir = child;
    }
    if (dir.children.has(fileName)) throw new LimaError(`duplicate ISO entry ${JSON.stringify(entry.path)}`);
    const data = typeof entry.data === "string" ? Buffer.from(entry.data, "utf8") : entry.data;
    if (data.length > MAX_FILE_SIZE) throw new LimaError(`ISO entry ${JSON.stringify(entry.path)} is larger than 4 GiB`);
    dir.children.set(fileName, {
      kind: "file",
      name: fileName,
      isoName: "",
      data,
      mode: (entry.mode ?? FILE_MODE) & 0o7777,
      mtime: entry.mtime ?? defaultTime,
      extent: 0,
    });
  }
  assignIsoNames(root);
  return root;
}

// ---------------------------------------------------------------------------------------------
// ISO 9660 level-1 identifiers

function dCharacters(text: string, max: number): string {
  return text.toUpperCase().replace(/[^A-Z0-9_]/g, "_").slice(0, max);
}

/** The 8.3 name and extension for a node, before collision handling. */
function isoNameParts(node: Node): { base: string; ext: string | undefined } {
  if (node.kind === "dir") return { base: dCharacters(node.name, 8) || "_", ext: undefined };
  const dot = node.name.lastIndexOf(".");
  const hasExt = dot > 0;
  const base = dCharacters(hasExt ? node.name.slice(0, dot) : node.name, 8) || "_";
  return { base, ext: hasExt ? dCharacters(node.name.slice(dot + 1), 3) : "" };
}

function formatIsoName(base: string, ext: string | undefined): string {
  return ext === undefined ? base : `${base}.${ext};1`;
}

/** Gives every node a unique identifier within its directory; collisions get a numeric suffix. */
function assignIsoNames(dir: DirNode): void {
  const taken = new Set<string>();
  for (const child of sortedByName(dir.children)) {
    const { base, ext } = isoNameParts(child);
    let candidate = formatIsoName(base, ext);
    for (let n = 1; taken.has(candidate); n++) {
      const suffix = String(n);
      candidate = formatIsoName(base.slice(0, 8 - suffix.length) + suffix, ext);
    }
    taken.add(candidate);
    child.isoName = candidate;
    if (child.kind === "dir") assignIsoNames(child);
  }
}

function sortedByName(children: Map<string, Node>): Node[] {
  return [...children.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/** ECMA-119 9.3 order: by name, then extension (space padding sorts shorter first). */
function compareIsoNames(a: string, b: string): number {
  const [aName = "", aExt = ""] = a.replace(/;1$/, "").split(".");
  const [bName = "", bExt = ""] = b.replace(/;1$/, "").split(".");
  if (aName !== bName) return aName < bName ? -1 : 1;
  if (aExt !== bExt) return aExt < bExt ? -1 : 1;
  return 0;
}

function childrenInIsoOrder(dir: DirNode): Node[] {
  return [...dir.children.values()].sort((a, b) => compareIsoNames(a.isoName, b.isoName));
}

function subdirectories(dir: DirNode): DirNode[] {
  return childrenInIsoOrder(dir).filter((child): child is DirNode => child.kind === "dir");
}

/** Breadth-first with sorted children is exactly the path table order (level, parent number, name). */
function directoriesInPathTableOrder(root: DirNode): DirNode[] {
  const order: DirNode[] = [root];
  for (let i = 0; i < order.length; i++) {
    const dir = order[i] as DirNode;
    dir.number = i + 1;
    order.push(...subdirectories(dir));
  }
  return order;
}

function filesOf(dirs: DirNode[]): FileNode[] {
  return dirs.flatMap((dir) => childrenInIsoOrder(dir).filter((child): child is FileNode => child.kind === "file"));
}

function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR);
}

// ---------------------------------------------------------------------------------------------
// Rock Ridge / SUSP entries

function suspEntry(signature: string, body: Uint8Array): Uint8Array {
  const entry = Buffer.alloc(4 + body.length);
  entry.write(signature, 0, "latin1");
  entry[2] = entry.length;
  entry[3] = 1; // version
  entry.set(body, 4);
  return entry;
}

function both32(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32LE(value, 0);
  bytes.writeUInt32BE(value, 4);
  return bytes;
}

function both16(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt16LE(value, 0);
  bytes.writeUInt16BE(value, 2);
  return bytes;
}

const spEntry = (): Uint8Array => suspEntry("SP", Buffer.from([0xbe, 0xef, 0]));

function erEntry(): Uint8Array {
  const header = Buffer.from([RRIP_ID.length, RRIP_DESCRIPTOR.length, RRIP_SOURCE.length, 1]);
  return suspEntry("ER", Buffer.concat([header, Buffer.from(RRIP_ID + RRIP_DESCRIPTOR + RRIP_SOURCE, "latin1")]));
}

/** PX in the RRIP 1991A form (no serial number). */
function pxEntry(mode: number, links: number): Uint8Array {
  return suspEntry("PX", Buffer.concat([both32(mode), both32(links), both32(0), both32(0)]));
}

function nmEntry(name: string): Uint8Array {
  return suspEntry("NM", Buffer.concat([Buffer.from([0]), Buffer.from(name, "utf8")]));
}

/** TF with modify, access and attribute-change times, all the same. */
function tfEntry(time: Date): Uint8Array {
  const stamp = recordingTime(time);
  return suspEntry("TF", Buffer.concat([Buffer.from([0b0000_1110]), stamp, stamp, stamp]));
}

function ceEntry(sector: number, offset: number, length: number): Uint8Array {
  return suspEntry("CE", Buffer.concat([both32(sector), both32(offset), both32(length)]));
}

function posixAttributes(node: Node): Uint8Array {
  if (node.kind === "file") return pxEntry(S_IFREG | node.mode, 1);
  return pxEntry(S_IFDIR | DIR_MODE, 2 + subdirectories(node).length);
}

// ---------------------------------------------------------------------------------------------
// Directory records

function directoryRecords(dir: DirNode, dirTime: Date): DirRecord[] {
  const parent = dir.parent ?? dir;
  const isRoot = dir.parent === undefined;
  const self = makeRecord(Buffer.from([0]), dir, dirTime, [
    ...(isRoot ? [spEntry()] : []),
    posixAttributes(dir),
    tfEntry(dirTime),
    ...(isRoot ? [erEntry()] : []),
  ]);
  const up = makeRecord(Buffer.from([1]), parent, dirTime, [posixAttributes(parent), tfEntry(dirTime)]);
  const children = childrenInIsoOrder(dir).map((child) => {
    const time = child.kind === "file" ? child.mtime : dirTime;
    return makeRecord(Buffer.from(child.isoName, "ascii"), child, time, [
      posixAttributes(child),
      nmEntry(child.name),
      tfEntry(time),
    ]);
  });
  return [self, up, ...children];
}

function systemUseOffset(identifier: Uint8Array): number {
  return DIR_RECORD_BASE + identifier.length + (identifier.length % 2 === 0 ? 1 : 0);
}

/** Keeps as many entries inline as fit; the rest go to a continuation area behind a CE entry. */
function makeRecord(identifier: Uint8Array, target: Node, time: Date, entries: Uint8Array[]): DirRecord {
  const room = MAX_DIR_RECORD - systemUseOffset(identifier);
  const total = entries.reduce((sum, entry) => sum + entry.length, 0);
  const record: DirRecord = { identifier, target, time, inline: entries, continuation: [], ceSector: 0, ceOffset: 0 };
  if (total <= room) return record;
  let used = 0;
  let split = 0;
  while (split < entries.length && used + (entries[split] as Uint8Array).length + CE_LENGTH <= room) {
    used += (entries[split] as Uint8Array).length;
    split++;
  }
  record.inline = entries.slice(0, split);
  record.continuation = entries.slice(split);
  return record;
}

function continuationLength(record: DirRecord): number {
  return record.continuation.reduce((sum, entry) => sum + entry.length, 0);
}

function recordLength(record: DirRecord): number {
  const inline = record.inline.reduce((sum, entry) => sum + entry.length, 0);
  const length = systemUseOffset(record.identifier) + inline + (record.continuation.length > 0 ? CE_LENGTH : 0);
  return length + (length % 2); // records have even length
}

/** Records never straddle a sector boundary; a record that does not fit starts the next sector. */
function directorySectors(records: DirRecord[]): number {
  let sectors = 1;
  let used = 0;
  for (const record of records) {
    const length = recordLength(record);
    if (used + length > SECTOR) {
      sectors++;
      used = 0;
    }
    used += length;
  }
  return sectors;
}

/** Packs continuation areas after the directories without crossing sector boundaries; returns the next free sector. */
function placeContinuationAreas(dirs: DirNode[], firstSector: number): number {
  let sector = firstSector;
  let offset = 0;
  for (const record of dirs.flatMap((dir) => dir.records)) {
    const length = continuationLength(record);
    if (length === 0) continue;
    if (offset + length > SECTOR) {
      sector++;
      offset = 0;
    }
    record.ceSector = sector;
    record.ceOffset = offset;
    offset += length;
  }
  return offset === 0 ? sector : sector + 1;
}

function extentOf(node: Node): { extent: number; size: number } {
  if (node.kind === "dir") return { extent: node.extent, size: node.sectors * SECTOR };
  return { extent: node.extent, size: node.data.length };
}

function encodeRecord(record: DirRecord): Buffer {
  const { identifier, target } = record;
  const bytes = Buffer.alloc(recordLength(record));
  const { extent, size } = extentOf(target);
  bytes[0] = bytes.length;
  both32(extent).copy(bytes, 2);
  both32(size).copy(bytes, 10);
  recordingTime(record.time).copy(bytes, 18);
  bytes[25] = target.kind === "dir" ? 0b10 : 0;
  both16(1).copy(bytes, 28); // volume sequence number
  bytes[32] = identifier.length;
  bytes.set(identifier, 33);
  let offset = systemUseOffset(identifier);
  for (const entry of record.inline) {
    bytes.set(entry, offset);
    offset += entry.length;
  }
  if (record.continuation.length > 0) {
    bytes.set(ceEntry(record.ceSector, record.ceOffset, continuationLength(record)), offset);
  }
  return bytes;
}

function writeDirectory(image: Buffer, dir: DirNode): void {
  let sector = dir.extent;
  let used = 0;
  for (const record of dir.records) {
    const bytes = encodeRecord(record);
    if (used + bytes.length > SECTOR) {
      sector++;
      used = 0;
    }
    bytes.copy(image, sector * SECTOR + used);
    used += bytes.length;
    let ceOffset = record.ceSector * SECTOR + record.ceOffset;
    for (const entry of record.continuation) {
      image.set(entry, ceOffset);
      ceOffset += entry.length;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Timestamps

function clampYear(time: Date): Date {
  const year = time.getUTCFullYear();
  if (year < 1900) return new Date(Date.UTC(1900, 0, 1));
  if (year > 2155) return new Date(Date.UTC(2155, 11, 31, 23, 59, 59));
  return time;
}

/** ECMA-119 9.1.5 seven-byte time, in UTC. */
function recordingTime(time: Date): Buffer {
  const t = clampYear(time);
  return Buffer.from([
    t.getUTCFullYear() - 1900,
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
    0,
  ]);
}

/** ECMA-119 8.4.26.1 seventeen-byte time ("YYYYMMDDHHMMSScc" + zone offset), in UTC. */
function volumeTime(time: Date): Buffer {
  const t = clampYear(time);
  const pad = (value: number, width: number): string => String(value).padStart(width, "0");
  const digits =
    pad(t.getUTCFullYear(), 4) +
    pad(t.getUTCMonth() + 1, 2) +
    pad(t.getUTCDate(), 2) +
    pad(t.getUTCHours(), 2) +
    pad(t.getUTCMinutes(), 2) +
    pad(t.getUTCSeconds(), 2) +
    pad(Math.floor(t.getUTCMilliseconds() / 10), 2);
  return Buffer.concat([Buffer.from(digits, "ascii"), Buffer.from([0])]);
}

const UNSET_VOLUME_TIME = Buffer.concat([Buffer.from("0".repeat(16), "ascii"), Buffer.from([0])]);

// ---------------------------------------------------------------------------------------------
// Volume descriptors and path tables

interface VolumeLayout extends Locations {
  volumeId: string;
  root: DirNode;
  time: Date;
}

function writeDescriptorHeader(image: Buffer, sector: number, type: number): number {
  const base = sector * SECTOR;
  image[base] = type;
  image.write("CD001", base + 1, "ascii");
  image[base + 6] = 1;
  return base;
}

function writePrimaryVolumeDescriptor(image: Buffer, layout: VolumeLayout): void {
  const base = writeDescriptorHeader(image, SYSTEM_AREA_SECTORS, 1);
  const text = (offset: number, width: number, value = ""): void => {
    image.write(value.padEnd(width, " "), base + offset, width, "ascii");
  };
  text(8, 32); // system identifier
  text(40, 32, layout.volumeId); // verbatim: the guest looks for the lowercase label `cidata`
  both32(layout.volumeSectors).copy(image, base + 80);
  both16(1).copy(image, base + 120); // volume set size
  both16(1).copy(image, base + 124); // volume sequence number
  both16(SECTOR).copy(image, base + 128);
  both32(layout.pathTableSize).copy(image, base + 132);
  image.writeUInt32LE(layout.lPathTableSector, base + 140);
  image.writeUInt32BE(layout.mPathTableSector, base + 148);
  encodeRecord(makeRecord(Buffer.from([0]), layout.root, layout.time, [])).copy(image, base + 156);
  text(190, 128); // volume set
  text(318, 128); // publisher
  text(446, 128); // data preparer
  text(574, 128); // application
  text(702, 37); // copyright file
  text(739, 37); // abstract file
  text(776, 37); // bibliographic file
  volumeTime(layout.time).copy(image, base + 813); // creation
  volumeTime(layout.time).copy(image, base + 830); // modification
  UNSET_VOLUME_TIME.copy(image, base + 847); // expiration
  UNSET_VOLUME_TIME.copy(image, base + 864); // effective
  image[base + 881] = 1; // file structure version
}

function writeTerminator(image: Buffer): void {
  writeDescriptorHeader(image, SYSTEM_AREA_SECTORS + 1, 255);
}

function pathTableBytes(dirs: DirNode[], byteOrder: "L" | "M"): Buffer {
  const parts = dirs.map((dir) => {
    const identifier = dir.parent === undefined ? Buffer.from([0]) : Buffer.from(dir.isoName, "ascii");
    const entry = Buffer.alloc(8 + identifier.length + (identifier.length % 2));
    entry[0] = identifier.length;
    const parentNumber = (dir.parent ?? dir).number;
    if (byteOrder === "L") {
      entry.writeUInt32LE(dir.extent, 2);
      entry.writeUInt16LE(parentNumber, 6);
    } else {
      entry.writeUInt32BE(dir.extent, 2);
      entry.writeUInt16BE(parentNumber, 6);
    }
    identifier.copy(entry, 8);
    return entry;
  });
  return Buffer.concat(parts);
}
