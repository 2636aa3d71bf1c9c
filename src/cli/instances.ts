// Running one action per named instance and joining the errors, as Lima's multi-instance commands do.
import { inspect } from "../store/store.js";
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

