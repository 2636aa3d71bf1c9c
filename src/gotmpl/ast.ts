// Parse tree of a Go text/template. `nodeString` renders nodes the way Go's Node.String()
// does, because execution errors quote the failing node (`at <.Unknown>`).

export interface FieldNode {
  kind: "field";
  pos: number;
  idents: string[];
}
export interface VariableNode {
  kind: "variable";
  pos: number;
  /** `$x.A.B` → ["$x", "A", "B"]. */
  idents: string[];
}
export interface ChainNode {
  kind: "chain";
  pos: number;
  node: ArgNode;
  fields: string[];
}
export interface IdentifierNode {
  kind: "identifier";
  pos: number;
  name: string;
}
export interface DotNode {
  kind: "dot";
  pos: number;
}
export interface NilNode {
  kind: "nil";
  pos: number;
}
export interface BoolNode {
  kind: "bool";
  pos: number;
  value: boolean;
}
export interface NumberNode {
  kind: "number";
  pos: number;
  text: string;
  value: number;
}
export interface StringNode {
  kind: "string";
  pos: number;
  quoted: string;
  value: string;
}
export interface CommandNode {
  kind: "command";
  pos: number;
  args: ArgNode[];
}
export interface PipeNode {
  kind: "pipe";
  pos: number;
  isAssign: boolean;
  decls: VariableNode[];
  cmds: CommandNode[];
}

export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export interface ListNode {
  kind: "list";
  pos: number;
  nodes: BodyNode[];
}
export interface TextNode {
  kind: "text";
  pos: number;
  text: string;
}
export interface CommentNode {
  kind: "comment";
  pos: number;
  text: string;
}
export interface ActionNode {
  kind: "action";
  pos: number;
  pipe: PipeNode;
}
export interface BranchNode {
  kind: "if" | "with" | "range";
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
export interface TemplateNode {
  kind: "template";
  pos: number;
  name: string;
  pipe?: PipeNode;
}
export interface LoopControlNode {
  kind: "break" | "continue";
  pos: number;
}

export type BodyNode = TextNode | CommentNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;

/** `{{end}}` / `{{else}}`: only produced while parsing, never stored in a tree. */
export interface DelimiterNode {
  kind: "end" | "else";
  pos: number;
}

export type AnyNode = ArgNode | CommandNode | ListNode | BodyNode | DelimiterNode;

export function nodeString(node: AnyNode): string {
  switch (node.kind) {
    case "field":
      return `.${node.idents.join(".")}`;
    case "variable":
      return node.idents.join(".");
    case "chain":
      return `${operandString(node.node)}.${node.fields.join(".")}`;
    case "identifier":
      return node.name;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return String(node.value);
    case "number":
      return node.text;
    case "string":
      return node.quoted;
    case "command":
      return node.args.map(operandString).join(" ");
    case "pipe":
      return pipeString(node);
    case "list":
      return node.nodes.map(nodeString).join("");
    case "text":
    case "comment":
      return node.text;
    case "action":
      return `{{${pipeString(node.pipe)}}}`;
    case "if":
    case "with":
    case "range": {
      const elsePart = node.elseList ? `{{else}}${nodeString(node.elseList)}` : "";
      return `{{${node.kind} ${pipeString(node.pipe)}}}${nodeString(node.list)}${elsePart}{{end}}`;
    }
    case "template":
      return node.pipe
        ? `{{template ${JSON.stringify(node.name)} ${pipeString(node.pipe)}}}`
        : `{{template ${JSON.stringify(node.name)}}}`;
    case "break":
    case "continue":
    case "end":
    case "else":
      return `{{${node.kind}}}`;
  }
}

function operandString(node: ArgNode): string {
  return node.kind === "pipe" ? `(${pipeString(node)})` : nodeString(node);
}

function pipeString(pipe: PipeNode): string {
  const decl = pipe.decls.length > 0 ? `${pipe.decls.map(nodeString).join(", ")}${pipe.isAssign ? " = " : " := "}` : "";
  return decl + pipe.cmds.map(nodeString).join(" | ");
}
