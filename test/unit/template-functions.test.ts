import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { templateHelpers } from '../../src/scaffold/render.js';
import { templateRuntime, type TemplateFunction } from '../../src/scaffold/template-functions.js';
import { repoRoot } from '../helpers/cli.js';

/**
 * scripts/build/template-functions.mjs compiles each built-in `*.hbs` to a plain function when the
 * package is built; src/scaffold/template-functions.ts is what those functions call. Each construct
 * it accepts is held here to what Handlebars itself renders (strict, noEscape, our helpers) for
 * contexts that take every branch, errors included; builtin-templates.test.ts does the same for
 * the real templates.
 */
const compiler = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'build', 'template-functions.mjs')).href)) as {
  templateFunctionSource: (text: string) => string;
  templateFunctionSourceOf: (label: string, text: string) => string;
};
const handlebars = Handlebars.create();
for (const [name, helper] of Object.entries(templateHelpers)) handlebars.registerHelper(name, helper);
const runtime = templateRuntime(templateHelpers);

type Outcome = { ok: string } | { error: string };
const outcome = (render: () => string): Outcome => {
  try {
    return { ok: render() };
  } catch (error) {
    return { error: String((error as Error).message).split('\n')[0]! };
  }
};

function both(text: string, context: unknown): { ours: Outcome; theirs: Outcome } {
  // The function as the build writes it into the bundle.
  const fn = new Function(`return ${compiler.templateFunctionSource(text)}`)() as TemplateFunction;
  return {
    ours: outcome(() => fn(context, runtime)),
    theirs: outcome(() => handlebars.compile(text, { strict: true, noEscape: true })(context)),
  };
}

const contexts: unknown[] = [
  { a: 1, b: 2, s: 'x<&>"', list: ['p', 'q', 'r'], obj: { k1: 'v1', k2: { deep: 3 } }, empty: [], zero: 0, no: false, nil: null, nested: { inner: { leaf: 'L' } }, fn: () => 'called' },
  { a: 'A', b: 'B', s: '', list: [], obj: {}, empty: [0], zero: -1, no: true, nil: 'not null', nested: { inner: {} }, fn: () => 7 },
  { a: 0, b: 0, s: 0, list: [null, undefined, 0, ''], obj: { only: [1, 2] }, empty: '', zero: 0.5, no: 'false', nil: undefined, nested: {}, fn: 5 },
  { a: [1, 2], b: { toString: () => 'B!' }, s: 'two\nlines', list: new Set(['x', 'y']), obj: new Map([['m', 1]]), empty: {}, zero: '0', no: [], nil: 0, nested: { inner: { leaf: null } }, fn: null },
  { b: 1 },
  Object.assign(Object.create({ inherited: 'from prototype', a: 'proto a' }), { s: 'own', b: 2 }),
];

const cases = [
  'plain text only',
  '',
  '{{a}}',
  '{{a}}{{b}}',
  'x{{a}}{{b}}',
  '{{a}}{{b}}x',
  '{{a}} and {{b}}: {{s}}',
  '{{{s}}} {{s}}',
  '{{this.a}}',
  '{{nested.inner.leaf}}',
  '{{obj.k2.deep}}',
  '{{fn}}',
  '{{inherited}}',
  '{{json a}} {{json obj}} {{jsonPretty obj}} {{json missing}} {{json this.s}}',
  '{{json (eq a 1)}} {{json (eq s "x<&>\\"")}} {{eq b 2}}',
  '{{#if a}}yes {{a}}{{else}}no{{/if}}',
  '{{#if a}}{{a}}{{/if}}{{b}}',
  '{{#if zero}}z{{else if no}}n{{else if (eq b 2)}}b2{{else}}none{{/if}}',
  '{{#if empty}}E{{/if}}|{{#if list}}L{{/if}}|{{#if nil}}N{{/if}}|{{#if fn}}F{{/if}}',
  '{{#unless no}}not no{{else}}no{{/unless}}',
  '{{#each list}}[{{@index}} {{@key}} {{@first}} {{@last}} {{this}}]{{else}}nothing{{/each}}',
  '{{#each obj}}{{@key}}={{json this}};{{/each}}',
  '{{#each obj}}{{#each this}}{{@key}}:{{this}} {{/each}}{{/each}}',
  '{{#each list}}{{@root.a}}{{/each}}',
  '{{#with nested}}{{inner.leaf}}{{else}}no nested{{/with}}',
  '{{#with zero}}[{{this}}]{{else}}empty{{/with}}',
  '{{! a comment }}a{{!-- another --}}b',
  'lines:\n{{#if a}}\n  standalone block lines vanish\n{{/if}}\n{{#each list}}\n  - {{this}}\n{{/each}}\nend\n',
  '  {{~#if a~}}  tight  {{~/if~}}  ',
  '{{missing}}',
  '{{nested.missing.leaf}}',
  '{{@key}}',
  '{{#each list}}{{missing}}{{/each}}',
  '{{#if missing}}x{{/if}}',
  '{{#each missing}}x{{else}}none{{/each}}',
];

describe('built-in templates compiled to plain functions', () => {
  for (const text of cases) {
    it(`renders ${JSON.stringify(text)} as Handlebars does`, () => {
      for (const context of contexts) {
        const { ours, theirs } = both(text, context);
        expect(ours, `${text} with ${JSON.stringify(context)}`).toEqual(theirs);
      }
    });
  }

  it('the contexts take both sides of each branch (the comparison is not of one answer)', () => {
    const outputs = new Set(contexts.map((c) => JSON.stringify(both('{{#if a}}1{{/if}}{{#each list}}2{{else}}3{{/each}}{{#if no}}4{{/if}}', c).theirs)));
    expect(outputs.size).toBeGreaterThan(2);
  });

  it('refuses, naming the file and line, what it does not render like Handlebars', () => {
    const refused = ['{{> partial}}', 'a\n{{#custom x}}y{{/custom}}', '{{json a key=1}}', '{{../a}}', '{{#each list as |item|}}{{item}}{{/each}}', '{{#if}}x{{/if}}', '{{lookup obj "k1"}}', '{{{{raw}}}}x{{{{/raw}}}}'];
    for (const text of refused) expect(() => compiler.templateFunctionSourceOf('templates/x/file.hbs', text), text).toThrow(/^templates\/x\/file\.hbs: /);
    expect(() => compiler.templateFunctionSourceOf('t.hbs', 'a\n{{> partial}}')).toThrow(/line 2: partial is not supported/);
  });
});
