// OCI digests (`<algorithm>:<encoded>`), validated the way go-digest validates them.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

/** Algorithms Lima links in (crypto/sha256, crypto/sha512), with their hex length. */
const HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface Digest {
  algorithm: string;
  hex: string;
}

/** Parses and validates `expected`; the error texts are go-digest's. */
export function parseDigest(expected: string): Digest {
  const colon = expected.indexOf(":");
  if (colon <= 0 || colon === expected.length - 1) throw new LimaError("invalid checksum digest format");
  const algorithm = expected.slice(0, colon);
  const hex = expected.slice(colon + 1);
  const length = HEX_LENGTH[algorithm];
  if (length === undefined) {
    if (!DIGEST_GRAMMAR.test(expected)) throw new LimaError("invalid checksum digest format");
    throw new LimaError(`unsupported digest algorithm ${q(algorithm)}`);
  }
  if (hex.length !== length) throw new LimaError("invalid checksum digest length");
  if (!/^[a-f0-9]+$/.test(hex)) throw new LimaError("invalid checksum digest format");
  return { algorithm, hex };
}

export function formatDigest(digest: Digest): string {
  return `${digest.algorithm}:${digest.hex}`;
}

export function newHasher(digest: Digest): Hash {
  return createHash(digest.algorithm);
}

export function digestOf(hasher: Hash, algorithm: string): string {
  return `${algorithm}:${hasher.digest("hex")}`;
}

export async function fileDigest(file: string, algorithm: string): Promise<string> {
  const hasher = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hasher.update(chunk as Buffer);
  return digestOf(hasher, algorithm);
}

/** `recordedIn`: the cache's digest file that `actual` was read from, when it was not computed. */
export function digestMismatch(source: string, expected: string, actual: string, recordedIn?: string): LimaError {
  const where = recordedIn === undefined ? "" : ` (recorded in ${q(recordedIn)})`;
  return new LimaError(`digest mismatch for ${q(source)}: expected digest ${q(expected)}, got ${q(actual)}${where}`);
}
