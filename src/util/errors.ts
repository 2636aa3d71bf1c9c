/** An error whose message is already user-facing; `cause` keeps the chain for --debug. */
export class LimaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LimaError";
  }
}

/** A child process exited non-zero: limactl exits with the same status and prints nothing. */
export class ExitCodeError extends Error {
  constructor(readonly exitCode: number, message = `exit status ${exitCode}`) {
    super(message);
    this.name = "ExitCodeError";
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Go's errors.Join: messages separated by newlines. */
export function joinErrors(errors: readonly unknown[]): LimaError | undefined {
  if (errors.length === 0) return undefined;
  return new LimaError(errors.map(errorMessage).join("\n"));
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}
