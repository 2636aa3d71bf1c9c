// Running one action per named instance and joining the errors, as Lima's multi-instance commands do.
import type { Instance } from "../store/instance.js";
import { inspect, InstanceNotFoundError } from "../store/store.js";
import { errorMessage, joinErrors, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export async function forEachInstance(names: string[], fn: (dir: string, name: string) => void): Promise<void> {
  const errors: Error[] = [];
  for (const name of names) {
    try {
      let dir: string;
      try {
        dir = (await inspect(name)).dir;
      } catch (err) {
        throw new LimaError(`failed to inspect instance ${q(name)}: ${errorMessage(err)}`);
      }
      fn(dir, name);
    } catch (err) {
      errors.push(err as Error);
    }
  }
  const joined = joinErrors(errors);
  if (joined) throw joined;
}


/** Inspects an instance that a command needs to reach (shell, copy), with Lima's hint when it is missing. */
export async function inspectExisting(name: string): Promise<Instance> {
  try {
    return await inspect(name);
  } catch (err) {
    if (err instanceof InstanceNotFoundError) throw new LimaError(`instance ${q(name)} does not exist, run \`limactl create ${name}\` to create a new instance`);
    throw err;
  }
}

export function stoppedInstanceError(name: string): LimaError {
  return new LimaError(`instance ${q(name)} is stopped, run \`limactl start ${name}\` to start the instance`);
}
