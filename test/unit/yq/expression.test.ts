import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { evaluateJSON, YqSyntaxError } from "../../../src/yq/index.js";

const ev = (expression: string, value: unknown = null): unknown[] => evaluateJSON(expression, value);
const one = (expression: string, value: unknown = null): unknown => {
  const out = ev(expression, value);
  assert.equal(out.length, 1, `expected one result from ${expression}, got ${JSON.stringify(out)}`);
  return out[0];
};

describe("yq paths", () => {
  const doc = { a: { b: [10, 20, 30], "b-c": "dash" }, list: [{ n: 1 }, { n: 2 }] };
  it("traverses keys and indexes", () => {
    assert.equal(one(".a.b[1]", doc), 20);
    assert.equal(one(".a.b[-1]", doc), 30);
  });
  it("supports bracket and quoted keys", () => {
    assert.equal(one('.a["b-c"]', doc), "dash");
    assert.equal(one('.["a"].b[0]', doc), 10);
    assert.equal(one('.a."b-c"', doc), "dash");
  });
  it("iterates with []", () => {
    assert.deepEqual(ev(".list[].n", doc), [1, 2]);
    assert.deepEqual(ev(".a.b[]", doc), [10, 20, 30]);
    assert.deepEqual(ev(".[]", { x: 1, y: 2 }), [1, 2]);
  });
  it("returns null for missing paths", () => {
    assert.equal(one(".nope.deeper", doc), null);
    assert.equal(one(".a.b[9]", doc), null);
  });
  it("slices arrays", () => {
    assert.deepEqual(one(".a.b[1:]", doc), [20, 30]);
    assert.deepEqual(one(".a.b[:1]", doc), [10]);
  });
  it("recursive descent visits every node", () => {
    assert.deepEqual(ev("..", { a: [1] }), [{ a: [1] }, [1], 1]);
  });
  it("optional suppresses errors", () => {
    assert.deepEqual(ev('.a | test("x")?', { a: [1] }), []);
  });
});

describe("yq literals and construction", () => {
  it("parses numbers, strings, booleans and null", () => {
    assert.deepEqual(ev('1, -2.5, "s\\n", true, false, null'), [1, -2.5, "s\n", true, false, null]);
  });
  it("builds arrays and objects", () => {
    assert.deepEqual(one('[1, "a", {"k": .x}]', { x: 5 }), [1, "a", { k: 5 }]);
    assert.deepEqual(one('{"a": 1, "b": .x}', { x: [2] }), { a: 1, b: [2] });
    assert.deepEqual(one("[]"), []);
  });
  it("object construction is a cartesian product", () => {
    assert.deepEqual(ev('{"a": (1, 2)}'), [{ a: 1 }, { a: 2 }]);
  });
  it("pipes and commas", () => {
    assert.deepEqual(ev(".a | .b, .c", { a: { b: 1, c: 2 } }), [1, 2]);
  });
});

describe("yq assignment", () => {
  it("= creates missing maps along the way", () => {
    assert.deepEqual(one(".a.b.c = 1"), { a: { b: { c: 1 } } });
  });
  it("= evaluates the rhs against the root", () => {
    assert.deepEqual(one(".a = .b", { a: 1, b: 2 }), { a: 2, b: 2 });
  });
  it("|= evaluates the rhs against the lhs", () => {
    assert.deepEqual(one(".a |= . + 1", { a: 1 }), { a: 2 });
    assert.deepEqual(one(".xs[] |= . * 10", { xs: [1, 2] }), { xs: [10, 20] });
  });
  it("+= and -= update in place", () => {
    assert.deepEqual(one(".a += .b", { a: 1, b: 2 }), { a: 3, b: 2 });
    assert.deepEqual(one('.dns += ["1.1.1.1"]', {}), { dns: ["1.1.1.1"] });
    assert.deepEqual(one(".xs -= [2]", { xs: [1, 2, 3] }), { xs: [1, 3] });
  });
  it("assigns every iterated element", () => {
    assert.deepEqual(one(".mounts[].writable = true", { mounts: [{ l: "a" }, { l: "b", writable: false }] }), {
      mounts: [{ l: "a", writable: true }, { l: "b", writable: true }],
    });
  });
  it("assigns by index and pads sequences", () => {
    assert.deepEqual(one(".a[2] = 1", { a: [0] }), { a: [0, null, 1] });
  });
  it("several assignments sharing a new parent keep each other", () => {
    assert.deepEqual(one("(.a.b.c, .a.b.d) = 1"), { a: { b: { c: 1, d: 1 } } });
  });
  it("replaces the root with . =", () => {
    assert.deepEqual(one(". = [1]", { a: 1 }), [1]);
  });
  it("//= sets only missing values", () => {
    assert.deepEqual(one('.a //= "x" | .b //= "y"', { a: "keep" }), { a: "keep", b: "y" });
  });
});

describe("yq arithmetic", () => {
  it("adds numbers, strings, arrays and maps", () => {
    assert.equal(one("1 + 2"), 3);
    assert.equal(one('"a" + "b"'), "ab");
    assert.deepEqual(one("[1] + [2, 3]"), [1, 2, 3]);
    assert.deepEqual(one('{"a": 1, "b": 1} + {"b": 2}'), { a: 1, b: 2 });
    assert.deepEqual(one("[1] + .missing"), [1]);
  });
  it("subtracts numbers and arrays", () => {
    assert.equal(one("5 - 7"), -2);
    assert.deepEqual(one('["a", "b", "a"] - ["a"]'), ["b"]);
  });
  it("* deep-merges maps and multiplies numbers", () => {
    assert.deepEqual(one('{"a": {"x": 1, "y": [1]}} * {"a": {"y": [2], "z": 3}}'), { a: { x: 1, y: [2], z: 3 } });
    assert.equal(one("3 * 4"), 12);
  });
  it("divides and takes modulo", () => {
    assert.equal(one("7 / 2"), 3.5);
    assert.equal(one("7 % 4"), 3);
    assert.deepEqual(one('"a,b" / ","'), ["a", "b"]);
  });
  it("rejects adding a map to a number", () => {
    assert.throws(() => ev('1 + {"a": 1}'), /cannot be added/);
  });
});

describe("yq comparison and logic", () => {
  it("compares scalars by their string value", () => {
    assert.equal(one('.disk == "1048576"', { disk: 1048576 }), true);
    assert.equal(one(".a == 1", { a: "1" }), true);
    assert.equal(one('.a != "x"', { a: "x" }), false);
  });
  it("null only equals null", () => {
    assert.equal(one(".missing == null", {}), true);
    assert.equal(one('.a == "null"', { a: null }), false);
  });
  it("supports wildcards on the right of ==", () => {
    assert.equal(one('.a == "ca*"', { a: "cat" }), true);
  });
  it("orders numbers numerically and strings lexically", () => {
    assert.deepEqual(ev("2 < 10, \"2\" < \"10\", 3 >= 3, 1 > 2, 1 <= 1"), [true, false, true, false, true]);
  });
  it("and / or / not", () => {
    assert.deepEqual(ev("true and false, true or false, (null | not), (1 | not)"), [false, true, true, false]);
  });
  it("// falls back on null and false", () => {
    assert.equal(one('.a // "d"', {}), "d");
    assert.equal(one('.a // "d"', { a: false }), "d");
    assert.equal(one('.a // "d"', { a: 0 }), 0);
  });
});

describe("yq functions", () => {
  const instances = [
    { name: "a", status: "Running", cpus: 4 },
    { name: "b", status: "Stopped", cpus: 2 },
    { name: "c", status: "Running", cpus: 1 },
  ];
  it("select filters", () => {
    assert.deepEqual(ev('.[] | select(.status == "Running") | .name', instances), ["a", "c"]);
    assert.deepEqual(ev('select(.name == "x")', { name: "y" }), []);
  });
  it("del removes keys and selected elements", () => {
    assert.deepEqual(one("del(.a)", { a: 1, b: 2 }), { b: 2 });
    assert.deepEqual(one("del(.xs[] | select(. > 1))", { xs: [1, 2, 3, 1] }), { xs: [1, 1] });
    assert.deepEqual(one("del(.nothing)", { a: 1 }), { a: 1 });
    assert.deepEqual(one("del(.xs[0], .xs[1])", { xs: ["a", "b", "c"] }), { xs: ["c"] });
  });
  it("has, keys, length", () => {
    assert.deepEqual(ev('has("a"), has("z")', { a: null }), [true, false]);
    assert.deepEqual(one("keys", { b: 1, a: 2 }), ["b", "a"]);
    assert.deepEqual(ev(".[] | length", [[1, 2], { a: 1 }, "abc", null]), [2, 1, 3, 0]);
  });
  it("unique and unique_by (missing keys collapse)", () => {
    assert.deepEqual(one("unique", ["b", "a", "b"]), ["b", "a"]);
    assert.deepEqual(one("unique_by(.lima)", [{ lima: "x" }, { vzNAT: true }, { lima: "x", m: 1 }, { vzNAT: true }]), [{ lima: "x" }, { vzNAT: true }]);
  });
  it("sort, sort_by, group_by, min, max", () => {
    assert.deepEqual(one("sort", [3, 1, 2]), [1, 2, 3]);
    assert.deepEqual(one("sort_by(.cpus) | map(.name)", instances), ["c", "b", "a"]);
    assert.deepEqual(one("group_by(.status) | map(length)", instances), [2, 1]);
    assert.deepEqual(ev("min, max", [5, 3, 9]), [3, 9]);
  });
  it("map, to_entries, from_entries, with_entries", () => {
    assert.deepEqual(one("map(.cpus)", instances), [4, 2, 1]);
    assert.deepEqual(one("to_entries", { a: 1 }), [{ key: "a", value: 1 }]);
    assert.deepEqual(one("from_entries", [{ key: "a", value: 1 }, { name: "b", v: 2 }]), { a: 1, b: 2 });
    assert.deepEqual(one('with_entries(.key |= "x_" + .)', { a: 1 }), { x_a: 1 });
  });
  it("string functions", () => {
    assert.equal(one('test("^ub")', "ubuntu"), true);
    assert.equal(one('contains("bun")', "ubuntu"), true);
    assert.deepEqual(one('split(",")', "a,b"), ["a", "b"]);
    assert.equal(one('join("-")', ["a", 1, true]), "a-1-true");
    assert.equal(one("tostring", 42), "42");
    assert.equal(one("tonumber", "42"), 42);
  });
  it("contains on arrays and maps", () => {
    assert.equal(one('contains(["a"])', ["a", "b"]), true);
    assert.equal(one('contains({"a": {"b": 1}})', { a: { b: 1, c: 2 } }), true);
  });
  it("type names follow yq tags", () => {
    assert.deepEqual(ev(".[] | type", [1, 1.5, "s", true, null, [], {}]), ["!!int", "!!float", "!!str", "!!bool", "!!null", "!!seq", "!!map"]);
  });
  it("first, last, reverse, flatten, add", () => {
    assert.deepEqual(ev("first, last", [1, 2, 3]), [1, 3]);
    assert.equal(one("first(. > 1)", [1, 2, 3]), 2);
    assert.deepEqual(one("reverse", [1, 2]), [2, 1]);
    assert.deepEqual(one("flatten", [1, [2, [3]]]), [1, 2, 3]);
    assert.equal(one("add", [1, 2, 3]), 6);
  });
  it("any and all", () => {
    assert.deepEqual(ev("any, all", [true, false]), [true, false]);
    assert.equal(one("all(. > 0)", [1, 2]), true);
  });
  it("key and parent", () => {
    assert.deepEqual(ev(".a[] | key", { a: ["x", "y"] }), [0, 1]);
    assert.deepEqual(ev(".a.b | parent", { a: { b: 1 } }), [{ b: 1 }]);
  });
});

describe("yq restricted mode", () => {
  it("disables env operators", () => {
    assert.throws(() => ev("env(HOME)"), { message: "env operations have been disabled" });
    assert.throws(() => ev("strenv(HOME)"), /env operations have been disabled/);
    assert.throws(() => ev('"$HOME" | envsubst'), /env operations have been disabled/);
  });
  it("disables file operators", () => {
    for (const op of ["load", "load_str", "load_xml", "load_props", "load_base64"]) {
      assert.throws(() => ev(`${op}("/etc/passwd")`), /file operations have been disabled/, op);
    }
  });
  it("disables system", () => {
    assert.throws(() => ev('system("id")'), /system operations are disabled/);
  });
});

describe("yq syntax errors", () => {
  it("rejects unknown words like yq's lexer", () => {
    assert.throws(() => ev("foo"), (err: unknown) => err instanceof YqSyntaxError && /1:1: invalid input text "foo"/.test(err.message));
  });
  it("rejects unbalanced brackets", () => {
    assert.throws(() => ev(".a[0"), YqSyntaxError);
    assert.throws(() => ev("(.a"), YqSyntaxError);
  });
  it("treats an empty expression as identity", () => {
    assert.deepEqual(ev("", { a: 1 }), [{ a: 1 }]);
  });
});
