// "did you mean …": the known name nearest to what was typed, for a mistyped
// command, option or profile.

/** Edit distance (insert, delete, substitute, and swap of two neighbours). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The known name nearest to `typed`: within a third of its length (at least
 * one edit), or one that starts with it; undefined when nothing is close or
 * two names are equally close.
 */
export function nearest(typed: string, known: readonly string[]): string | undefined {
  if (typed === '') return undefined;
  const lower = typed.toLowerCase();
  const prefixed = known.filter((k) => k.toLowerCase().startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  const limit = Math.max(1, Math.floor(typed.length / 3));
  const scored = known.map((k) => ({ k, d: distance(lower, k.toLowerCase()) })).filter((s) => s.d <= limit);
  scored.sort((x, y) => x.d - y.d);
  if (scored.length === 0 || (scored.length > 1 && scored[0]?.d === scored[1]?.d)) return undefined;
  return scored[0]?.k;
}

/** "; did you mean NAME?" or nothing. `show` turns the name into what to type. */
export function didYouMean(typed: string, known: readonly string[], show: (name: string) => string = (n) => n): string {
  const n = nearest(typed, known);
  return n === undefined ? '' : `: did you mean ${show(n)}?`;
}
