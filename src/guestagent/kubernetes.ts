// Kubernetes services as local ports (NodePort: the node port; LoadBalancer: the service port),
// from `kubectl get --watch` when kubectl exists and may read services (Lima's kubernetesservice).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { IPPort } from "./api/index.js";
import type { ExtraPortsSource } from "./ports.js";
import { logger } from "../log/logger.js";

export const KUBECTL_RETRY_MS = 10_000;

/** Where k3s, template:k8s (kubeadm) and plain setups keep root's kubeconfig, in Lima's order. */
export const KUBECONFIG_CANDIDATES = ["/etc/rancher/k3s/k3s.yaml", "/root/.kube/config.localhost", "/root/.kube/config"];

interface ServicePort {
  protocol?: string;
  port?: number;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: string;
  ports?: ServicePort[];
}

interface WatchEvent {
  type?: string;
  object?: { metadata?: { name?: string; namespace?: string }; spec?: ServiceSpec };
}

/**
 * Splits a stream of JSON objects into one text per object, whether kubectl prints them one per
 * line or indented over many lines.
 */
export class JSONObjectSplitter {
  private pending = "";
  private depth = 0;
  private inString = false;
  private escaped = false;

  push(chunk: string): string[] {
    const out: string[] = [];
    for (const ch of chunk) {
      if (this.depth > 0) this.pending += ch;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === "\\") this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"' && this.depth > 0) this.inString = true;
      else if (ch === "{") {
        if (this.depth === 0) this.pending = ch;
        this.depth++;
      } else if (ch === "}" && this.depth > 0) {
        this.depth--;
        if (this.depth === 0) out.push(this.pending);
      }
    }
    return out;
  }
}

/** Services by "namespace/name", updated from `kubectl get --watch --output-watch-events -o json` events. */
export class ServiceTable {
  readonly specs = new Map<string, ServiceSpec>();
  generation = 0;

  /** Applies one watch event (a JSON object's text); throws when it is not JSON. */
  apply(text: string): void {
    let event: WatchEvent;
    try {
      event = JSON.parse(text) as WatchEvent;
    } catch (err) {
      throw new Error(`failed to unmarshal kubectl watch event ${JSON.stringify(text.slice(0, 200))}: ${(err as Error).message}`);
    }
    const meta = event.object?.metadata ?? {};
    const key = `${meta.namespace ?? ""}/${meta.name ?? ""}`;
    if (event.type === "ADDED" || event.type === "MODIFIED") this.specs.set(key, event.object?.spec ?? {});
    else if (event.type === "DELETED") this.specs.delete(key);
    else return;
    this.generation++;
  }

  ports(): IPPort[] {
    return [...this.specs.values()].flatMap(servicePorts);
  }
}

export function servicePorts(spec: ServiceSpec): IPPort[] {
  if (spec.type !== "NodePort" && spec.type !== "LoadBalancer") return [];
  const out: IPPort[] = [];
  for (const p of spec.ports ?? []) {
    if (p.protocol !== "TCP" && p.protocol !== "UDP") continue;
    const port = spec.type === "NodePort" ? (p.nodePort ?? 0) : (p.port ?? 0);
    out.push({ protocol: p.protocol.toLowerCase(), ip: "0.0.0.0", port });
  }
  return out;
}

export function chooseKubeconfig(env: NodeJS.ProcessEnv, exists: (file: string) => boolean = existsSync): string | undefined {
  if (env.KUBECONFIG) return env.KUBECONFIG;
  return KUBECONFIG_CANDIDATES.find(exists);
}

/** `kubectl` on PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv, exists: (file: string) => boolean = existsSync): string | undefined {
  for (const dir of (env.PATH ?? "").split(":")) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (exists(candidate)) return candidate;
  }
  return undefined;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, signal, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => resolve({ code: null, stdout, stderr: stderr || err.message }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Watches services while kubectl works; retried every KUBECTL_RETRY_MS. */
export class KubernetesServiceWatcher implements ExtraPortsSource {
  private readonly table = new ServiceTable();
  private readonly abort = new AbortController();

  get generation(): number {
    return this.table.generation;
  }

  ports(): IPPort[] {
    return this.table.ports();
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      await this.attempt().catch((err: Error) => logger.warn(`kubectl watch failed; will retry: ${err.message}`));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, KUBECTL_RETRY_MS);
        timer.unref();
        this.abort.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  private async attempt(): Promise<void> {
    const kubectl = findOnPath("kubectl", process.env);
    if (!kubectl) return; // most guests: checked again later, quietly
    const kubeconfig = chooseKubeconfig(process.env);
    const env = kubeconfig ? { ...process.env, KUBECONFIG: kubeconfig } : process.env;
    const canI = await run(kubectl, ["auth", "can-i", "get", "service"], env, this.abort.signal);
    if (canI.stdout.trim() !== "yes") {
      logger.debug(`kubectl auth can-i get service: ${JSON.stringify(canI.stdout.trim())} ${canI.stderr.trim()}; will retry`);
      return;
    }
    await this.watch(kubectl, env);
  }

  private watch(kubectl: string, env: NodeJS.ProcessEnv): Promise<void> {
    const args = ["get", "--all-namespaces", "service", "--watch", "--output-watch-events", "--output", "json"];
    logger.info("Monitoring kubernetes services");
    return new Promise((resolve, reject) => {
      const child = spawn(kubectl, args, { env, signal: this.abort.signal, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const splitter = new JSONObjectSplitter();
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        try {
          for (const text of splitter.push(chunk)) this.table.apply(text);
        } catch (err) {
          child.kill();
          reject(err as Error);
        }
      });
      child.on("error", (err) => reject(err));
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(" ")}: exit ${code}: ${stderr.trim()}`))));
    });
  }
}
