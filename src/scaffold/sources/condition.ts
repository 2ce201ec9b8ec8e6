/**
 * The conditions of cargo-generate.toml's `[conditional.'…']` blocks. cargo-generate evaluates them
 * as Rhai; this reads the part of Rhai such conditions use: `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`,
 * `||`, `!`, parentheses, string/number/bool literals, variables, and the array/string helpers
 * `.contains(x)`, `.is_empty` / `.is_empty()`, `.len` / `.len()`. Anything else is an error that
 * says which condition could not be read (never a silent false).
 */
type Value = string | number | boolean | Value[];

type Token = { kind: 'str' | 'num' | 'id' | 'op'; text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const str = /^"((?:[^"\\]|\\.)*)"|^'((?:[^'\\]|\\.)*)'/.exec(rest);
    if (str) {
      const body = str[1] ?? str[2] ?? '';
      tokens.push({ kind: 'str', text: body.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c)) });
      i += str[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(rest);
    if (num) {
      tokens.push({ kind: 'num', text: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) {
      tokens.push({ kind: 'id', text: id[0] });
      i += id[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|&&|\|\||[<>!().,])/.exec(rest);
    if (op) {
      tokens.push({ kind: 'op', text: op[0] });
      i += op[0].length;
      continue;
    }
    throw new Error(`unexpected "${rest[0] ?? ''}" at ${i + 1}`);
  }
  return tokens;
}

/** Evaluates a condition against the values known so far; throws an Error naming what is wrong. */
export function evaluateCondition(source: string, variables: Record<string, unknown>): boolean {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (text?: string): Token => {
    const token = tokens[pos];
    if (!token || (text !== undefined && token.text !== text)) throw new Error(`expected ${text ?? 'a value'} ${token ? `before "${token.text}"` : 'at the end'}`);
    pos += 1;
    return token;
  };

  /** `next (op next)*`, folded with `combine` (|| and && both short-circuit on booleans only). */
  const chain = (op: string, next: () => Value, combine: (a: boolean, b: boolean) => boolean) => (): Value => {
    let left = next();
    while (peek()?.text === op) {
      take();
      const right = next();
      left = combine(truthy(left), truthy(right));
    }
    return left;
  };
  const andExpr = (): Value => chain('&&', unary, (a, b) => a && b)();
  const orExpr = (): Value => chain('||', andExpr, (a, b) => a || b)();
  const unary = (): Value => {
    if (peek()?.text === '!' && peek()?.kind === 'op') {
      take();
      return !truthy(unary());
    }
    return comparison();
  };
  const comparison = (): Value => {
    const left = postfix();
    const op = peek();
    if (op?.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(op.text)) {
      take();
      const right = postfix();
      return compare(op.text, left, right);
    }
    return left;
  };
  const postfix = (): Value => {
    let value = primary();
    while (peek()?.text === '.') {
      take();
      const method = take().text;
      const args: Value[] = [];
      if (peek()?.text === '(') {
        take('(');
        while (peek()?.text !== ')') {
          args.push(orExpr());
          if (peek()?.text === ',') take(',');
          else break;
        }
        take(')');
      }
      value = callMethod(value, method, args);
    }
    return value;
  };
  const primary = (): Value => {
    const token = take();
    if (token.kind === 'str') return token.text;
    if (token.kind === 'num') return Number(token.text);
    if (token.kind === 'op' && token.text === '(') {
      const value = orExpr();
      take(')');
      return value;
    }
    if (token.kind === 'id') {
      if (token.text === 'true') return true;
      if (token.text === 'false') return false;
      if (!(token.text in variables)) throw new Error(`unknown variable ${token.text}`);
      return toValue(variables[token.text]);
    }
    throw new Error(`unexpected "${token.text}"`);
  };

  const result = orExpr();
  if (pos < tokens.length) throw new Error(`unexpected "${tokens[pos]?.text ?? ''}"`);
  if (typeof result !== 'boolean') throw new Error('the condition is not true or false');
  return result;
}

function toValue(raw: unknown): Value {
  if (Array.isArray(raw)) return raw.map(toValue);
  if (typeof raw === 'boolean' || typeof raw === 'number' || typeof raw === 'string') return raw;
  return String(raw ?? '');
}

function truthy(value: Value): boolean {
  if (typeof value !== 'boolean') throw new Error(`${JSON.stringify(value)} is not true or false`);
  return value;
}

function compare(op: string, a: Value, b: Value): boolean {
  if (op === '==' || op === '!=') {
    const same = JSON.stringify(a) === JSON.stringify(b);
    return op === '==' ? same : !same;
  }
  if (typeof a !== typeof b || Array.isArray(a) || typeof a === 'boolean') throw new Error(`cannot compare ${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`);
  const x = a as string | number;
  const y = b as string | number;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function callMethod(value: Value, method: string, args: Value[]): Value {
  switch (method) {
    case 'contains':
      if (args.length !== 1) throw new Error('contains takes one value');
      if (Array.isArray(value)) return value.some((v) => JSON.stringify(v) === JSON.stringify(args[0]));
      if (typeof value === 'string') return value.includes(String(args[0]));
      break;
    case 'is_empty':
      if (Array.isArray(value) || typeof value === 'string') return value.length === 0;
      break;
    case 'len':
      if (Array.isArray(value) || typeof value === 'string') return value.length;
      break;
    default:
      throw new Error(`.${method} is not supported (only contains, is_empty and len)`);
  }
  throw new Error(`.${method} does not apply to ${JSON.stringify(value)}`);
}
