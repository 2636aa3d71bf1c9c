// kubectl is not installed here: the watch stream is parsed from captured text (Lima's own test data shape).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseKubeconfig, JSONObjectSplitter, servicePorts, ServiceTable } from "../../../src/guestagent/kubernetes.js";

const svc = (type: string, name: string, ports: object[], event = "ADDED"): string =>
  JSON.stringify({ type: event, object: { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { clusterIP: "10.0.0.1", ports, type } } });

describe("servicePorts", () => {
  it("NodePort: the node ports, TCP and UDP, on 0.0.0.0", () => {
    assert.deepEqual(servicePorts({ type: "NodePort", ports: [{ protocol: "TCP", port: 80, nodePort: 8080 }, { protocol: "UDP", port: 53, nodePort: 5353 }, { protocol: "SCTP", port: 9, nodePort: 9999 }] }), [
      { protocol: "tcp", ip: "0.0.0.0", port: 8080 },
      { protocol: "udp", ip: "0.0.0.0", port: 5353 },
    ]);
  });
  it("LoadBalancer: the service port; ClusterIP: nothing", () => {
    assert.deepEqual(servicePorts({ type: "LoadBalancer", ports: [{ protocol: "TCP", port: 8081, nodePort: 31000 }] }), [{ protocol: "tcp", ip: "0.0.0.0", port: 8081 }]);
    assert.deepEqual(servicePorts({ type: "ClusterIP", ports: [{ protocol: "TCP", port: 443 }] }), []);
  });
});

describe("ServiceTable", () => {
  it("follows ADDED, MODIFIED and DELETED events", () => {
    const table = new ServiceTable();
    table.apply(svc("ClusterIP", "kubernetes", [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }]));
    table.apply(svc("NodePort", "nginx", [{ nodePort: 30369, port: 80, protocol: "TCP", targetPort: 80 }]));
    table.apply(svc("NodePort", "nginx", [{ nodePort: 30369, port: 80, protocol: "TCP", targetPort: 80 }], "DELETED"));
    table.apply(svc("NodePort", "nginx", [{ nodePort: 32762, port: 80, protocol: "TCP", targetPort: "http" }]));
    const before = table.generation;
    table.apply(svc("NodePort", "nginx", [{ nodePort: 32763, port: 80, protocol: "TCP" }], "MODIFIED"));
    table.apply(JSON.stringify({ type: "BOOKMARK", object: {} }));
    assert.equal(table.generation, before + 1);
    assert.deepEqual(table.ports(), [{ protocol: "tcp", ip: "0.0.0.0", port: 32763 }]);
  });
  it("rejects text that is not JSON", () => {
    assert.throws(() => new ServiceTable().apply("{oops"), /failed to unmarshal kubectl watch event/);
  });
});

describe("JSONObjectSplitter", () => {
  it("splits one-per-line and indented objects, across chunk boundaries, braces in strings included", () => {
    const one = svc("NodePort", "a{b}", [{ nodePort: 1, port: 2, protocol: "TCP" }]);
    const indented = JSON.stringify(JSON.parse(svc("LoadBalancer", "c\"}", [{ port: 3, protocol: "UDP" }])), null, 4);
    const text = `${one}\n${indented}\n`;
    const splitter = new JSONObjectSplitter();
    const out = [text.slice(0, 50), text.slice(50, 51), text.slice(51)].flatMap((c) => splitter.push(c));
    assert.deepEqual(out.map((o) => JSON.parse(o) as unknown), [JSON.parse(one), JSON.parse(indented)]);
  });
});

describe("chooseKubeconfig", () => {
  it("$KUBECONFIG first, then k3s, template:k8s and root's config", () => {
    assert.equal(chooseKubeconfig({ KUBECONFIG: "/x" }, () => true), "/x");
    assert.equal(chooseKubeconfig({}, (f) => f === "/root/.kube/config.localhost" || f === "/root/.kube/config"), "/root/.kube/config.localhost");
    assert.equal(chooseKubeconfig({}, () => false), undefined);
  });
});
