// bun:ffi for the compiled guest agent: the libc calls node has no API for (netlink, clock_settime,
// a native thread). Under node (tests) nothing here loads and callers take their fallbacks.
import { arch } from "node:os";
import { getSystemErrorMap } from "node:util";

type Signatures = Record<string, { args: string[]; returns: string }>;

/** A libc function as bun:ffi returns it: callable, with its address in `ptr`. */
export type FFIFunction = ((...args: unknown[]) => number) & { ptr: number };

export interface BunFFI {
  dlopen(path: string, symbols: Signatures): { symbols: Record<string, FFIFunction> };
  cc(options: { source: string; flags: string[]; symbols: Signatures }): { symbols: Record<string, FFIFunction> };
  ptr(view: ArrayBufferView): number;
  read: { i32(pointer: number, offset?: number): number };
}

const LIBC_NAMES = ["libc.so.6", `libc.musl-${arch() === "arm64" ? "aarch64" : "x86_64"}.so.1`, "libc.so"];

export function underBun(): boolean {
  return typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
}

/** bun:ffi, or undefined under node. */
export async function bunFFI(): Promise<BunFFI | undefined> {
  if (!underBun()) return undefined;
  const moduleName = "bun:ffi"; // a variable: neither tsc nor node must resolve it
  return (await import(moduleName)) as BunFFI;
}

/** The C library (glibc or musl) with `symbols`; throws naming the libraries tried. */
export function openLibc<S extends Signatures>(ffi: BunFFI, symbols: S): Record<keyof S, FFIFunction> {
  let lastError: unknown;
  for (const name of LIBC_NAMES) {
    try {
      return ffi.dlopen(name, symbols).symbols as Record<keyof S, FFIFunction>;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`cannot load the C library (tried ${LIBC_NAMES.join(", ")}): ${(lastError as Error).message}`);
}

/** Go's text for an errno ("operation not permitted"). */
export function errnoText(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[1] ?? `errno ${errno}`;
}
