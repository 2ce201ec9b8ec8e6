import type { Liquid } from 'liquidjs';
import { messageOf } from '../../errors.js';
import { caseFilters } from './case-filters.js';

let engine: Liquid | undefined;

/**
 * The Liquid engine cargo-generate templates are rendered with: Liquid's standard filters plus
 * cargo-generate's case filters. Strict: a variable or filter nobody defined is an error, so a
 * file whose `{{ }}` belongs to another tool (Helm's `{{ .Values.x }}`, a GitHub workflow's
 * `${{ github.sha }}`) is never half-rendered. `include`/`render`/`layout` cannot read files.
 */
async function liquid(): Promise<Liquid> {
  if (engine) return engine;
  const { Liquid: Engine } = await import('liquidjs');
  const refuse = (file: string): never => {
    throw new Error(`templates may not include files (${file})`);
  };
  const instance = new Engine({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    relativeReference: false,
    root: [],
    partials: [],
    layouts: [],
    fs: {
      exists: async () => false,
      existsSync: () => false,
      readFile: async (file: string) => refuse(file),
      readFileSync: (file: string) => refuse(file),
      resolve: (_root: string, file: string) => file,
      contains: async () => false,
      sep: '/',
    },
  });
  for (const [name, convert] of Object.entries(caseFilters)) instance.registerFilter(name, (value: unknown) => convert(String(value ?? '')));
  engine = instance;
  return engine;
}

export type LiquidOutcome = { rendered: true; text: string } | { rendered: false; reason: string };

/** Whether text has anything Liquid would act on. */
export function hasLiquid(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

/** Renders one text; an error (syntax, unknown variable or filter) is returned, not thrown. */
export async function renderLiquid(text: string, context: Record<string, unknown>): Promise<LiquidOutcome> {
  const l = await liquid();
  try {
    return { rendered: true, text: await l.parseAndRender(text, context) };
  } catch (error) {
    return { rendered: false, reason: messageOf(error).split('\n')[0] ?? 'not Liquid' };
  }
}
