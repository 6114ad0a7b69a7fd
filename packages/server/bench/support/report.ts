/** How the benches print: progress on stderr, tagged with the bench; numbers in fixed-width columns. */

/** A progress line on stderr, `[<bench> bench] …`, apart from the results on stdout. */
export const logger = (bench: string) => (s: string) => process.stderr.write(`[${bench} bench] ${s}\n`)

/** `n` with thousands separators and `digits` decimals, right-aligned in `width` characters. */
export const num = (n: number, digits = 0, width = 7) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }).padStart(width)
