// Go-template rendering of config values: guest-side data (`.Name .Hostname .UID .User .Home .Param`)
// and host-side data (`.Dir .Name .UID .User .Home .Param .GlobalTempDir .TempDir .Instance .LimaHome`).
import { executeTemplate } from "../gotmpl/index.js";
import { hostnameOf } from "../identifiers/validate.js";
import { q } from "../util/goquote.js";

export interface GuestTemplateData {
  Name: string;
  Hostname: string;
  UID: number;
  User: string;
  Home: string;
  Param: Record<string, string>;
}

export interface HostTemplateData {
  Dir: string;
  Name: string;
  UID: string;
  User: string;
  Home: string;
  Param: Record<string, string>;
  GlobalTempDir: string;
  TempDir: string;
  /** Deprecated alias of Name. */
  Instance: string;
  /** Deprecated: use Dir instead of `{{.LimaHome}}/{{.Instance}}`. */
  LimaHome: string;
}

export interface HostFacts {
  instDir: string;
  instName: string;
  hostOS: string;
  tempDir: string;
  limaHome: string;
  user: { name: string; uid: number; home: string };
}

export function guestTemplateData(
  instName: string,
  user: { name: string; uid: number; home: string },
  param: Record<string, string>,
): GuestTemplateData {
  return { Name: instName, Hostname: hostnameOf(instName), UID: user.uid, User: user.name, Home: user.home, Param: param };
}

export function hostTemplateData(facts: HostFacts, param: Record<string, string>): HostTemplateData {
  return {
    Dir: facts.instDir,
    Name: facts.instName,
    UID: String(facts.user.uid),
    User: facts.user.name,
    Home: facts.user.home,
    Param: param,
    // The global temp dir on Windows (%SystemRoot%\Temp) is not writable by users.
    GlobalTempDir: facts.hostOS === "windows" ? facts.tempDir : "/tmp",
    TempDir: facts.tempDir,
    Instance: facts.instName,
    LimaHome: facts.limaHome,
  };
}

/**
 * Renders `text` with `data`; on a template error keeps `text` and reports
 * ``Couldn't process <what> `text` as a template``.
 */
export function renderOrKeep(text: string, data: unknown, what: string, warn: (message: string) => void): string {
  try {
    return executeTemplate(text, data);
  } catch (err) {
    warn(`Couldn't process ${what} ${q(text)} as a template: ${err instanceof Error ? err.message : String(err)}`);
    return text;
  }
}
