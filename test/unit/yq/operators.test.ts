// yq operators, checked against the examples of yq's operator documentation (v4.53.3):
// each case is the documented input, expression and output.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runYq } from "./runyq.js";

async function yq(args: string[], input = ""): Promise<string> {
  const { code, stdout, stderr } = await runYq(args, input);
  assert.equal(code, 0, stderr);
  return stdout;
}

/** [what, input, expression, expected output] */
const CASES: Array<[string, string, string, string]> = [
  // variables, reduce, with
  ["single value variable", "a: cat\n", ".a as $foo | $foo", "cat\n"],
  ["multi value variable", "- cat\n- dog\n", ".[] as $foo | $foo", "cat\ndog\n"],
  [
    "variables as a lookup",
    "posts:\n  - title: First post\n    author: anon\n  - title: A well-written article\n    author: person1\nrealnames:\n  anon: Anonymous Coward\n  person1: Person McPherson\n",
    '.realnames as $names | .posts[] | {"title":.title, "author": $names[.author]}',
    "title: First post\nauthor: Anonymous Coward\ntitle: A well-written article\nauthor: Person McPherson\n",
  ],
  ["swap values with variables", "a: a_value\nb: b_value\n", ".a as $x  | .b as $y | .b = $x | .a = $y", "a: b_value\nb: a_value\n"],
  ["ref a path repeatedly", "a:\n  b: thing\n  c: something\n", '.a.b ref $x | $x = "new" | $x style="double"', 'a:\n  b: "new"\n  c: something\n'],
  ["sum numbers with ireduce", "- 10\n- 2\n- 5\n- 3\n", ".[] as $item ireduce (0; . + $item)", "20\n"],
  ["jq-style reduce", "- 10\n- 2\n- 5\n- 3\n", "reduce .[] as $item (0; . + $item)", "20\n"],
  [
    "convert an array to an object with ireduce",
    "- name: Cathy\n  has: apples\n- name: Bob\n  has: bananas\n",
    ".[] as $item ireduce ({}; .[$item | .name] = ($item | .has) )",
    "Cathy: apples\nBob: bananas\n",
  ],
  ["with updates deeply", "a:\n  deeply:\n    nested: value\n", 'with(.a.deeply.nested; . = "newValue" | . style="single")', "a:\n  deeply:\n    nested: 'newValue'\n"],
  ["with over arrays", "myArray:\n  - a: apple\n  - a: banana\n", 'with(.myArray[]; .b = .a + " yum")', "myArray:\n  - a: apple\n    b: apple yum\n  - a: banana\n    b: banana yum\n"],
  // tag
  ["get tag", "a: cat\nb: 5\nc: 3.2\ne: true\nf: []\n", ".. | tag", "!!map\n!!str\n!!int\n!!float\n!!bool\n!!seq\n"],
  ["type is tag", "a: cat\nb: 5\n", ".. | type", "!!map\n!!str\n!!int\n"],
  ["set a custom tag", "a: str\n", '.a tag = "!!mikefarah"', "a: !!mikefarah str\n"],
  ["convert numbers to strings", "a: cat\nb: 5\nc: 3.2\ne: true\n", '(.. | select(tag == "!!int")) tag= "!!str"', 'a: cat\nb: "5"\nc: 3.2\ne: true\n'],
  ["Lima's empty map deletion", '{"a":{},"b":{"c":{}},"d":1}', 'del(.. | select(tag == "!!map" and length == 0))', '{"b": {}, "d": 1}\n'],
  // style
  ["set double style", "a: cat\n", '.a style="double"', 'a: "cat"\n'],
  ["set flow style", "a: cat\nb: 5\nc:\n  d: x\n", '.. style="flow"', "{a: cat, b: 5, c: {d: x}}\n"],
  ["set tagged style", "a: cat\nb: 5\n", '.. style="tagged"', "!!map\na: !!str cat\nb: !!int 5\n"],
  ["reset style", "a: 'cat'\nb: \"dog\"\n", "... style=\"\"", "a: cat\nb: dog\n"],
  ["get style", "a: \"cat\"\nb: 'dog'\nc: plain\n", ".. | style", "\ndouble\nsingle\n\n"],
  ["pretty relative style", "a: \"cat\"\n", ".[] style |= .", "a: cat\n"],
  // explode, sort_keys, kind, path, line
  ["explode an alias", "f:\n  a: &a cat\n  b: *a\n", "explode(.f)", "f:\n  a: cat\n  b: cat\n"],
  ["explode merge anchors", "foo: &foo\n  a: foo_a\n  thing: foo_thing\nfoobar:\n  <<: *foo\n  thing: foobar_thing\n", "explode(.) | .foobar", "a: foo_a\nthing: foobar_thing\n"],
  ["sort keys", "c: frog\na: blah\nb: bing\n", "sort_keys(.)", "a: blah\nb: bing\nc: frog\n"],
  ["sort keys deeply", "c:\n  z: x\n  a: y\na: b\n", "sort_keys(..)", "a: b\nc:\n  a: y\n  z: x\n"],
  ["kind", "a: cat\nb: []\n", ".. | kind", "map\nscalar\nseq\n"],
  ["path of a value", "a:\n  b: cat\n", ".a.b | path", "- a\n- b\n"],
  ["path of array elements", "a:\n  - cat\n  - dog\n", ".a[] | select(. == \"dog\") | path", "- a\n- 1\n"],
  ["line numbers", "a: cat\nb:\n  c: cat\n", ".b.c | line", "3\n"],
  ["key of a value", "a:\n  b: cat\n", ".a.b | key", "b\n"],
  ["parent", "a:\n  nested: cat\n", ".a.nested | parent", "nested: cat\n"],
  // encoders
  ["@base64", "coolData: a special string\n", ".coolData | @base64", "YSBzcGVjaWFsIHN0cmluZw==\n"],
  ["@base64d", "coolData: V29ya3Mgd2l0aCBVVEYtMTYg8J+Yig==\n", ".coolData | @base64d", "Works with UTF-16 😊\n"],
  ["@yaml | @base64", "a: apple\n", "@yaml | @base64", "YTogYXBwbGUK\n"],
  ["@json", "a:\n  cool: thing\n", ".b = (.a | @json)", "a:\n  cool: thing\nb: '{\"cool\":\"thing\"}'\n"],
  ["to_json", "a:\n  cool: thing\n", ".b = (.a | to_json)", 'a:\n  cool: thing\nb: |\n  {\n    "cool": "thing"\n  }\n'],
  ["to_yaml", "a:\n  cool:\n    bob: dylan\n", ".b = (.a | to_yaml)", "a:\n  cool:\n    bob: dylan\nb: |\n  cool:\n    bob: dylan\n"],
  ["from_yaml", "a: 'foo: bar'\n", ".b = (.a | from_yaml)", "a: 'foo: bar'\nb:\n  foo: bar\n"],
  ["@props", "a:\n  cool: thing\n", ".b = (.a | @props)", "a:\n  cool: thing\nb: |\n  cool = thing\n"],
  ["@csv of scalars", "- cat\n- thing1,thing2\n- true\n- 3.40\n", "@csv", 'cat,"thing1,thing2",true,3.40\n'],
  ["@tsv of arrays", "- - cat\n  - thing1,thing2\n- - dog\n  - thing3\n", "@tsv", "cat\tthing1,thing2\ndog\tthing3\n"],
  ["@uri", "coolData: this has & special () characters *\n", ".coolData | @uri", "this+has+%26+special+%28%29+characters+%2A\n"],
  ["@urid", "this+has+%26+special+%28%29+characters+%2A\n", "@urid", "this has & special () characters *\n"],
  ["@sh", "coolData: strings with spaces and a 'quote'\n", ".coolData | @sh", "strings' with spaces and a '\\'quote\\'\n"],
  // the operators Lima's templates and docs use
  ["select and has", "- a: 1\n- b: 2\n", '.[] | select(has("a"))', "a: 1\n"],
  ["+= appends", "a: [x]\n", '.a += ["y"]', "a: [x, y]\n"],
  ["|= updates relative", "a: 1\n", ".a |= . + 1", "a: 2\n"],
  ["// default", "a: null\n", '.a // "default"', "default\n"],
  ["keys, length, map", "a: 1\nb: 2\n", "keys | map(. + \"!\") | length", "2\n"],
  ["to_entries / with_entries", "a: 1\nb: 2\n", 'with_entries(.value += 1)', "a: 2\nb: 3\n"],
  ["unique and sort_by", "- b\n- a\n- b\n", "unique | sort_by(.)", "- a\n- b\n"],
  ["split and join", "a: cat,dog\n", '.a | split(",") | join("; ")', "cat; dog\n"],
  ["test and sub", "a: cat\n", '.a | test("^c") and (sub("c"; "b") == "bat")', "true\n"],
  ["ascii_downcase", "a: CAT\n", ".a | ascii_downcase", "cat\n"],
  ["match", "foo bar foo\n", 'match("foo")', "string: foo\noffset: 0\nlength: 3\ncaptures: []\n"],
  ["capture", "xyzzy-14\n", 'capture("(?<a>[a-z]+)-(?<n>[0-9]+)")', "a: xyzzy\nn: \"14\"\n"],
  ["eval a string", "pathExp: .a.b\na:\n  b: cat\n", "eval(.pathExp)", "cat\n"],
  ["omit", "myMap:\n  cat: meow\n  dog: bark\n  thing: hamster\n", '.myMap | omit(["cat", "dog"])', "thing: hamster\n"],
  ["filter", "- 1\n- 2\n- 3\n", "filter(. < 3)", "- 1\n- 2\n"],
  ["splitDoc", "- a: cat\n- b: dog\n", ".[] | splitDoc", "a: cat\n---\nb: dog\n"],
  ["array_to_map", "cool:\n  - null\n  - null\n  - hello\n", ".cool |= array_to_map", "cool:\n  2: hello\n"],
];

describe("yq operators as documented", () => {
  for (const [what, input, expression, expected] of CASES) {
    it(what, async () => {
      assert.equal(await yq([expression], input), expected);
    });
  }
  it("merges all documents with an eval-all reduction", async () => {
    assert.equal(await yq(["eval-all", ". as $item ireduce ({}; . * $item )"], "a: cat\n---\nb: dog\n"), "a: cat\nb: dog\n");
  });
  it("env() parses YAML", async () => {
    assert.deepEqual(await runYq(["-n", ".a = env(myenv)"], "", { myenv: "{b: fish}" }), { code: 0, stdout: "a: {b: fish}\n", stderr: "" });
  });
});
