import { appendFileSync } from 'node:fs';
import fc from 'fast-check';

/**
 * How many generated cases each property-based test runs: 10,000 (the floor issue 15 sets for CI),
 * or PROPERTY_RUNS for a longer local hunt. A smaller PROPERTY_RUNS is ignored under CI=true.
 */
export function propertyRuns(): number {
  const floor = 10_000;
  const asked = Number(process.env.PROPERTY_RUNS ?? '');
  if (!Number.isInteger(asked) || asked <= 0) return floor;
  const ci = process.env.CI !== undefined && process.env.CI !== 'false';
  return ci ? Math.max(asked, floor) : asked;
}

/**
 * fc.assert with a record: when HARDEN_REPORT names a file (npm run harden), one JSON line per
 * property says its area, the cases tried and whether it failed, for the figures.
 */
export function holds<T>(area: string, property: fc.IProperty<T>, numRuns = propertyRuns()): void {
  const details = fc.check(property, { numRuns });
  const report = process.env.HARDEN_REPORT;
  if (report) appendFileSync(report, `${JSON.stringify({ area, cases: details.numRuns, failures: details.failed ? 1 : 0 })}\n`);
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
}

/** holds() for properties whose cases are asynchronous. */
export async function holdsAsync<T>(area: string, property: fc.IAsyncProperty<T>, numRuns = propertyRuns()): Promise<void> {
  const details = await fc.check(property, { numRuns });
  const report = process.env.HARDEN_REPORT;
  if (report) appendFileSync(report, `${JSON.stringify({ area, cases: details.numRuns, failures: details.failed ? 1 : 0 })}\n`);
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
}
