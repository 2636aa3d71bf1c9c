import { q } from "../util/goquote.js";
import { LimaError } from "../util/errors.js";

const IDENTIFIER = /^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$/;
export const IDENTIFIER_PATTERN = IDENTIFIER.source;
const MAX_LENGTH = 76;

/** Validates an identifier (instance, disk and network names) the way Lima does. */
export function validateIdentifier(name: string): void {
  if (name === "") throw new LimaError("identifier must not be empty");
  if (name.length > MAX_LENGTH) {
    throw new LimaError(`identifier ${q(name)} greater than maximum length (${MAX_LENGTH} characters)`);
  }
  if (!IDENTIFIER.test(name)) {
    throw new LimaError(`identifier ${q(name)} must match ${IDENTIFIER_PATTERN}`);
  }
}

export function isValidIdentifier(name: string): boolean {
  try {
    validateIdentifier(name);
    return true;
  } catch {
    return false;
  }
}

/** A name that must not become a path: `list` tells it from a missing instance. */
export class InvalidInstanceNameError extends LimaError {}

/** Instance names: identifiers that do not look like YAML file names. */
export function validateInstanceName(name: string): void {
  try {
    validateIdentifier(name);
  } catch (err) {
    throw new InvalidInstanceNameError(`instance name ${q(name)} is not a valid identifier: ${(err as Error).message}`);
  }
  if (/\.ya?ml$/i.test(name)) {
    throw new InvalidInstanceNameError(`instance name ${q(name)} must not end with .yml or .yaml suffix`);
  }
}

export function isValidInstanceName(name: string): boolean {
  try {
    validateInstanceName(name);
    return true;
  } catch {
    return false;
  }
}

/** `lima-` + name with `.` and `_` replaced by `-`. */
export function hostnameOf(instanceName: string): string {
  return `lima-${instanceName.replace(/[._]/g, "-")}`;
}
