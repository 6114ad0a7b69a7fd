/** The statistics the benches print: nearest-rank percentiles and medians over rounds. */

/** Nearest-rank percentile (`p` in 0–1); NaN for no values. */
export const pct = (xs: ReadonlyArray<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.max(0, Math.ceil(p * s.length) - 1)] ?? Number.NaN
}

/** Nearest-rank median: the lower middle value of an even count. */
export const median = (xs: ReadonlyArray<number>) => pct(xs, 0.5)

/** Field by field, the median of samples of the same shape (at least one). */
export const medianOfEach = <S extends { readonly [K in keyof S]: number }>(xs: ReadonlyArray<S>): S =>
  Object.fromEntries(
    (Object.keys(xs[0]!) as Array<keyof S>).map((k) => [k, median(xs.map((s) => s[k]))])
  ) as unknown as S
