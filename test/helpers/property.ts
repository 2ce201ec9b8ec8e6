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
