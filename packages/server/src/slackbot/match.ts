/** Names matched the forgiving way people type them in Slack: any case, a unique prefix. */

export type Match<A> =
  | { readonly _tag: "found"; readonly item: A }
  | { readonly _tag: "none"; readonly names: ReadonlyArray<string> }
  | { readonly _tag: "ambiguous"; readonly names: ReadonlyArray<string> }

/** The one item whose name is `typed` (any case), else the one it is a prefix of. */
export const byName = <A extends { readonly name: string }>(
  items: ReadonlyArray<A>,
  typed: string
): Match<A> => {
  const wanted = typed.trim().toLowerCase()
  const exact = items.filter((i) => i.name.toLowerCase() === wanted)
  if (exact.length === 1) return { _tag: "found", item: exact[0]! }
  const prefixed = exact.length > 1 ? exact : items.filter((i) => i.name.toLowerCase().startsWith(wanted))
  if (prefixed.length === 1) return { _tag: "found", item: prefixed[0]! }
  if (prefixed.length > 1) return { _tag: "ambiguous", names: prefixed.map((i) => i.name) }
  return { _tag: "none", names: items.map((i) => i.name) }
}

/** What to answer when a name matched none or several. */
export const explain = (kind: string, typed: string, match: Exclude<Match<unknown>, { _tag: "found" }>) =>
  match._tag === "ambiguous"
    ? `Several ${kind}s match "${typed}": ${match.names.map((n) => `\`${n}\``).join(", ")}. Which one?`
    : match.names.length === 0
      ? `There is no ${kind} yet.`
      : `No ${kind} is called "${typed}". There are: ${match.names.map((n) => `\`${n}\``).join(", ")}.`
