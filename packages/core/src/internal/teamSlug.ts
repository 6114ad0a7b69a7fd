/** Organization slugs (SPEC §1): URL-safe, derived from the name, unique. */

/** The pattern every slug matches (as in the `Organization` schema). */
export const slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
export const maxSlugLength = 63

const trimDashes = (s: string) => s.replace(/^-+|-+$/g, "")

/**
 * Lower-case, accents removed, every run of other characters turned into one `-`, dashes
 * trimmed, at most 63 characters; `org` when nothing usable is left.
 */
export const slugify = (name: string): string => {
  const base = trimDashes(
    name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
  )
  const cut = trimDashes(base.slice(0, maxSlugLength))
  return cut === "" ? "org" : cut
}

/** The n-th candidate for a taken slug: `acme`, `acme-2`, `acme-3`…, still within 63 characters. */
export const candidate = (slug: string, n: number): string => {
  if (n <= 1) return slug
  const suffix = `-${n}`
  return `${trimDashes(slug.slice(0, maxSlugLength - suffix.length))}${suffix}`
}
