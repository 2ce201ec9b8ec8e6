/**
 * What a built-in `*.hbs` template compiled to a plain function (scripts/build/template-functions.mjs,
 * when the package is built) calls to render: Handlebars' lookups and its if/unless/each/with block
 * helpers, as Handlebars' runtime does them with { strict: true, noEscape: true }, and the helpers
 * render.ts registers. So a scaffold from a built-in template loads no part of Handlebars.
 * test/unit/template-functions.test.ts holds each construct to Handlebars' own output.
 */
export type Helper = (this: unknown, ...args: unknown[]) => unknown;
export type TemplateFunction = (context: unknown, runtime: TemplateRuntime) => string;

/** Handlebars' `@data`: `@root`, and in `#each` `@key`, `@index`, `@first`, `@last`. */
type Data = Record<string, unknown>;
type Program = (context: unknown, data: Data) => unknown;

export interface TemplateRuntime {
  root(context: unknown): Data;
  /** A value appended to the output: null and undefined are nothing. */
  v(value: unknown): unknown;
  lookup(parent: unknown, name: string): unknown;
  strict(parent: unknown, name: string, location: string): unknown;
  lambda(value: unknown, context: unknown): unknown;
  amb(context: unknown, data: Data, name: string, value: () => unknown): unknown;
  call(context: unknown, data: Data, name: string, value: () => unknown, args: unknown[]): unknown;
  if(context: unknown, data: Data, condition: unknown, fn: Program | undefined, inverse: Program | undefined): unknown;
  unless(context: unknown, data: Data, condition: unknown, fn: Program | undefined, inverse: Program | undefined): unknown;
  each(context: unknown, data: Data, items: unknown, fn: Program | undefined, inverse: Program | undefined): unknown;
  with_(context: unknown, data: Data, value: unknown, fn: Program | undefined, inverse: Program | undefined): unknown;
}

const hasOwn = Object.prototype.hasOwnProperty;
/** What Handlebars gives helpers as `this` when the context is null or undefined. */
const nullContext = Object.seal({});
const self = (context: unknown): unknown => context ?? nullContext;

/** Handlebars' lookupProperty: own properties only (an inherited one is undefined). */
function lookup(parent: unknown, name: string): unknown {
  const value = (parent as Record<string, unknown>)[name];
  return value == null || hasOwn.call(parent, name) ? value : undefined;
}

/** Handlebars' isEmpty: falsy but 0, or an empty array. */
const isEmpty = (value: unknown): boolean => (!value && value !== 0) || (Array.isArray(value) && value.length === 0);

const run = (program: Program | undefined, context: unknown, data: Data): unknown => (program ? program(context, data) : '');

/** The runtime for templates using `helpers` (render.ts's json, jsonPretty, eq). */
export function templateRuntime(helpers: Record<string, Helper>): TemplateRuntime {
  const helper = (name: string): Helper | undefined => (hasOwn.call(helpers, name) ? helpers[name] : undefined);
  const options = (data: Data, name: string) => ({ name, hash: {}, data });
  const ifHelper = (context: unknown, data: Data, condition: unknown, fn: Program | undefined, inverse: Program | undefined): unknown => {
    const value = typeof condition === 'function' ? (condition as Helper).call(self(context)) : condition;
    return !value || isEmpty(value) ? run(inverse, self(context), data) : run(fn, self(context), data);
  };
  return {
    root: (context) => ({ root: context }),
    v: (value) => (value != null ? value : ''),
    lookup,
    strict(parent, name, location) {
      if (!parent || !(name in (parent as object))) throw new Error(`"${name}" not defined in ${String(parent)} - ${location}`);
      return lookup(parent, name);
    },
    lambda: (value, context) => (typeof value === 'function' ? (value as Helper).call(context) : value),
    amb(context, data, name, value) {
      const found = helper(name) ?? value();
      return typeof found === 'function' ? (found as Helper).call(self(context), options(data, name)) : found;
    },
    call(context, data, name, value, args) {
      const found = helper(name) ?? value();
      if (typeof found !== 'function') throw new TypeError(`${name} is not a function`);
      return (found as Helper).call(self(context), ...args, options(data, name));
    },
    if: ifHelper,
    unless: (context, data, condition, fn, inverse) => ifHelper(context, data, condition, inverse, fn),
    each(context, data, items, fn, inverse) {
      let list = typeof items === 'function' ? (items as Helper).call(self(context)) : items;
      // Handlebars' createFrame: a copy of the data with _parent.
      const frame: Data = { ...data, _parent: data };
      let out = '';
      let i = 0;
      const iteration = (field: string | number, index: number, last: boolean): void => {
        frame.key = field;
        frame.index = index;
        frame.first = index === 0;
        frame.last = last;
        // `+` as Handlebars joins them (not String(): an object's valueOf would differ).
        out = out + (run(fn, (list as Record<string | number, unknown>)[field], frame) as string);
      };
      if (list && typeof list === 'object') {
        if (Array.isArray(list)) {
          for (const n = list.length; i < n; i++) if (i in list) iteration(i, i, i === list.length - 1);
        } else if ((list as Iterable<unknown>)[Symbol.iterator]) {
          list = [...(list as Iterable<unknown>)];
          const array = list as unknown[];
          for (const n = array.length; i < n; i++) iteration(i, i, i === array.length - 1);
        } else {
          let prior: string | undefined;
          for (const key of Object.keys(list)) {
            if (prior !== undefined) iteration(prior, i - 1, false);
            prior = key;
            i++;
          }
          if (prior !== undefined) iteration(prior, i - 1, true);
        }
      }
      return i === 0 ? run(inverse, self(context), data) : out;
    },
    with_(context, data, value, fn, inverse) {
      const resolved = typeof value === 'function' ? (value as Helper).call(self(context)) : value;
      return isEmpty(resolved) ? run(inverse, self(context), data) : run(fn, resolved, data);
    },
  };
}
