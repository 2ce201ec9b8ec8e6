// A built-in `*.hbs` template as the source of a plain JavaScript function, written when the package
// is built, so the CLI renders the built-in templates without Handlebars (neither its compiler nor its
// runtime is loaded by a scaffold). The function renders what Handlebars renders with
// { strict: true, noEscape: true } (src/scaffold/render.ts), down to its quirks: a program is its
// parts joined with `+` (so two numbers in a row add up, as in Handlebars' own output), a missing
// variable throws Handlebars' message, `{{name}}` calls a helper of that name first.
//
// The function is `(context, runtime) => string`; `runtime` is src/scaffold/template-functions.ts
// (the lookups and the if/unless/each/with block helpers, with the helpers render.ts registers).
// What it supports: text, comments, `{{path}}` (`a.b`, `this`, `@key` and other data), helper calls
// with paths, literals and sub-expressions as arguments, and the blocks if, unless, each and with
// (with `{{else}}` and `{{else if …}}`). Anything else (partials, hash arguments, `../`, block
// parameters, other block helpers) fails the build naming the file and line: add it here, with a
// case in test/unit/template-functions.test.ts, which holds every construct to Handlebars' output.
import Handlebars from 'handlebars';

/** Handlebars' own helpers, which a bare `{{name}}` or `{{name arg}}` of that name would call. */
const knownHelpers = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing']);
const blockHelpers = new Set(['if', 'unless', 'each', 'with']);

class Unsupported extends Error {}

const where = (node) => (node.loc ? `${node.loc.start.line}:${node.loc.start.column}` : '?');

function unsupported(node, what) {
  return new Unsupported(`line ${node.loc?.start.line ?? '?'}: ${what} is not supported in a built-in template (scripts/build/template-functions.mjs)`);
}

/** `a`, `a.b`, `@key`: one name, not `this`, `../` or `./` (Handlebars' simpleId). */
const isSimpleId = (path) => path.parts.length === 1 && !/^\.|this\b/.test(path.original) && !path.depth;

/**
 * The source of `(context, runtime) => string` rendering `text` as Handlebars does with
 * { strict: true, noEscape: true }. Throws (naming the line) for what it does not support.
 */
export function templateFunctionSource(text) {
  const ast = Handlebars.parse(text);
  // `(c0, r)`: the template's context and the runtime; programs inside blocks get (cN, dN).
  return `(c0, r) => { const d0 = r.root(c0); return "" + (${program(ast, 0)}); }`;
}

/** A program's value: its parts joined with `+`, as Handlebars' compiled code returns it. */
function program(node, level) {
  if (node.blockParams?.length) throw unsupported(node, 'block parameters (as |x|)');
  const parts = [];
  for (const statement of node.body) {
    switch (statement.type) {
      case 'ContentStatement':
        if (statement.value) parts.push(JSON.stringify(statement.value));
        break;
      case 'CommentStatement':
        break;
      case 'MustacheStatement':
        parts.push(`r.v(${mustache(statement, level)})`);
        break;
      case 'BlockStatement':
        parts.push(`r.v(${block(statement, level)})`);
        break;
      default:
        throw unsupported(statement, statement.type.replace(/Statement$/, '').toLowerCase() || statement.type);
    }
  }
  return parts.length > 0 ? parts.join(' + ') : '""';
}

/** A nested program as a function of (context, data); an absent one as undefined. */
function programFunction(node, level) {
  if (!node) return 'undefined';
  const inner = level + 1;
  return `(c${inner}, d${inner}) => ${program(node, inner)}`;
}

function checkCall(node) {
  if (node.hash?.pairs?.length) throw unsupported(node, 'hash arguments (key=value)');
  if (node.path.type !== 'PathExpression') throw unsupported(node, `a ${node.path.type} in place of a name`);
}

/** `{{…}}`: a helper call when it has arguments, else a value (a bare name may still be a helper). */
function mustache(node, level) {
  checkCall(node);
  const { path } = node;
  if (node.params.length > 0) return helperCall(node, level);
  if (isSimpleId(path)) {
    // Handlebars calls a helper of that name, else takes the value (calling it if a function).
    if (knownHelpers.has(path.parts[0])) throw unsupported(node, `{{${path.original}}} (a helper of Handlebars' called without arguments)`);
    return `r.amb(c${level}, d${level}, ${JSON.stringify(path.parts[0])}, () => ${pathValue(path, level, true)})`;
  }
  return `r.lambda(${pathValue(path, level, true)}, c${level})`;
}

/** `name arg …` (a mustache or a sub-expression with arguments): our helpers, looked up at run time. */
function helperCall(node, level) {
  checkCall(node);
  const { path } = node;
  if (!isSimpleId(path) || path.data) throw unsupported(node, `calling ${path.original}`);
  if (knownHelpers.has(path.parts[0])) throw unsupported(node, `the ${path.parts[0]} helper outside a block`);
  const name = path.parts[0];
  const args = node.params.map((p) => param(p, level)).join(', ');
  return `r.call(c${level}, d${level}, ${JSON.stringify(name)}, () => ${pathValue(path, level, true)}, [${args}])`;
}

/** An argument: a path (looked up without strictness, as Handlebars does), a literal, or `(helper …)`. */
function param(node, level) {
  switch (node.type) {
    case 'PathExpression':
      return pathValue(node, level, false);
    case 'StringLiteral':
      return JSON.stringify(node.value);
    case 'NumberLiteral':
    case 'BooleanLiteral':
      return String(node.value);
    case 'UndefinedLiteral':
      return 'undefined';
    case 'NullLiteral':
      return 'null';
    case 'SubExpression':
      if (node.params.length === 0) throw unsupported(node, 'a sub-expression without arguments');
      return helperCall(node, level);
    default:
      throw unsupported(node, node.type);
  }
}

/**
 * A path's value: `this` is the context, `@x` the data; every name but the last is a plain lookup,
 * the last one strict (an error naming it when it is missing) where Handlebars is strict.
 */
function pathValue(path, level, strict) {
  if (path.depth > 0) throw unsupported(path, `${path.original} (a path into an outer context)`);
  let value = path.data ? `d${level}` : `c${level}`;
  path.parts.forEach((part, i) => {
    const last = i === path.parts.length - 1;
    value = strict && last ? `r.strict(${value}, ${JSON.stringify(part)}, ${JSON.stringify(where(path))})` : `r.lookup(${value}, ${JSON.stringify(part)})`;
  });
  return value;
}

/** `{{#if x}}…{{else}}…{{/if}}` and the other block helpers of Handlebars. */
function block(node, level) {
  checkCall(node);
  const name = node.path.original;
  if (!isSimpleId(node.path) || node.path.data || !blockHelpers.has(name)) throw unsupported(node, `the block {{#${name}}}`);
  if (node.params.length !== 1) throw unsupported(node, `{{#${name}}} with ${node.params.length} arguments (it takes one)`);
  return `r.${name === 'with' ? 'with_' : name}(c${level}, d${level}, ${param(node.params[0], level)}, ${programFunction(node.program, level)}, ${programFunction(node.inverse, level)})`;
}

/** Like templateFunctionSource, but an unsupported construct is an error naming `label`. */
export function templateFunctionSourceOf(label, text) {
  try {
    return templateFunctionSource(text);
  } catch (error) {
    if (error instanceof Unsupported) throw new Error(`${label}: ${error.message}`);
    throw new Error(`${label}: ${String(error?.message ?? error).split('\n')[0]}`);
  }
}
