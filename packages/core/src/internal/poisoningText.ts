/**
 * Text helpers of the tool-poisoning scan: the text fields of a tool (with their paths), hidden
 * characters made visible, excerpts, and the confusable skeleton of a name.
 */
import type { Tool } from "../domain/Catalog.js"

/** One text of a tool the rules read, with where it is (`description`, `inputSchema.properties.path.description`). */
export interface TextField {
  readonly path: string
  readonly text: string
}

type Obj = { readonly [key: string]: unknown }
const isObject = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)

/** Keywords of a JSON Schema whose string values are read by the model. */
const schemaTexts = ["description", "title"] as const
/** Keywords holding sub-schemas by name. */
const schemaMaps = ["properties", "patternProperties", "$defs", "definitions"] as const
/** Keywords holding one sub-schema or a list of them. */
const schemaSubs = ["items", "additionalProperties", "not", "if", "then", "else", "contains"] as const
const schemaLists = ["anyOf", "oneOf", "allOf", "prefixItems"] as const

const walkSchema = (path: string, schema: Obj, out: TextField[], depth: number): void => {
  if (depth > 32) return
  for (const key of schemaTexts) {
    const v = schema[key]
    if (typeof v === "string") out.push({ path: `${path}.${key}`, text: v })
  }
  for (const key of ["enum", "examples"] as const) {
    const list = schema[key]
    if (Array.isArray(list)) {
      list.forEach((v, i) => {
        if (typeof v === "string") out.push({ path: `${path}.${key}[${i}]`, text: v })
      })
    }
  }
  for (const key of ["const", "default"] as const) {
    const v = schema[key]
    if (typeof v === "string") out.push({ path: `${path}.${key}`, text: v })
  }
  for (const key of schemaMaps) {
    const map = schema[key]
    if (!isObject(map)) continue
    for (const [name, sub] of Object.entries(map)) {
      // A property name is read by the model too: hidden characters in it count.
      out.push({ path: `${path}.${key}.${name}`, text: name })
      if (isObject(sub)) walkSchema(`${path}.${key}.${name}`, sub, out, depth + 1)
    }
  }
  for (const key of schemaSubs) {
    const sub = schema[key]
    if (isObject(sub)) walkSchema(`${path}.${key}`, sub, out, depth + 1)
  }
  for (const key of schemaLists) {
    const list = schema[key]
    if (!Array.isArray(list)) continue
    list.forEach((sub, i) => {
      if (isObject(sub)) walkSchema(`${path}.${key}[${i}]`, sub, out, depth + 1)
    })
  }
}

/** Every text of a tool the model reads: name, title, description, annotation title, schema texts. */
export const textFields = (tool: Tool): ReadonlyArray<TextField> => {
  const out: TextField[] = [{ path: "name", text: tool.name }]
  if (typeof tool.title === "string") out.push({ path: "title", text: tool.title })
  if (typeof tool.description === "string") out.push({ path: "description", text: tool.description })
  if (typeof tool.annotations?.title === "string") {
    out.push({ path: "annotations.title", text: tool.annotations.title })
  }
  if (isObject(tool.inputSchema)) walkSchema("inputSchema", tool.inputSchema, out, 0)
  if (isObject(tool.outputSchema)) walkSchema("outputSchema", tool.outputSchema, out, 0)
  return out
}

/** Characters nobody sees: zero-width, word joiners, soft hyphen, BOM, tag and variation-selector supplements. */
export const hiddenChars =
  /[\u00AD\u180E\u200B-\u200D\u2060-\u2064\uFEFF]|[\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}]/gu
/** Bidirectional embeddings, overrides and isolates: text that displays in another order than it reads. */
export const bidiChars = /[\u202A-\u202E\u2066-\u2069]/gu

const codePoint = (ch: string) => `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`

/** The text with hidden and bidi characters shown as `<U+XXXX>` and whitespace runs collapsed. */
export const visible = (text: string): string =>
  text.replace(hiddenChars, codePoint).replace(bidiChars, codePoint).replace(/\s+/g, " ")

/** Longest excerpt a finding carries. */
export const EXCERPT_MAX = 160

/** The text around `[start, end)`, made visible and truncated to `EXCERPT_MAX` with `…` marks. */
export const excerpt = (text: string, start: number, end: number): string => {
  const context = 40
  const from = Math.max(0, start - context)
  const to = Math.min(text.length, Math.max(end + context, from + 1))
  let out = visible(text.slice(from, to)).trim()
  if (out.length > EXCERPT_MAX) out = `${out.slice(0, EXCERPT_MAX - 1)}…`
  return `${from > 0 ? "…" : ""}${out}${to < text.length && !out.endsWith("…") ? "…" : ""}`
}

/** Letters of other scripts (and symbols) that render like Latin letters or digits. */
const confusables: Readonly<Record<string, string>> = {
  // Cyrillic
  а: "a",
  в: "b",
  е: "e",
  ё: "e",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  с: "c",
  т: "t",
  у: "y",
  х: "x",
  ѕ: "s",
  і: "i",
  ї: "i",
  ј: "j",
  ԁ: "d",
  ӏ: "l",
  ԛ: "q",
  ԝ: "w",
  һ: "h",
  ɡ: "g",
  // Greek
  α: "a",
  β: "b",
  ε: "e",
  η: "n",
  ι: "i",
  κ: "k",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  ω: "w",
  // Latin look-alikes
  ı: "i",
  ȷ: "j",
  ℓ: "l",
  "‐": "-",
  "‑": "-",
  "‒": "-",
  "–": "-",
  "—": "-",
  "−": "-"
}

/**
 * The skeleton of a name: NFKC (fullwidth and ligature forms fold), lower case, hidden characters
 * dropped, homoglyphs of other scripts mapped to Latin, and the digit/letter look-alikes
 * `0`→`o`, `1`→`l`, `i`→`l` merged. Two names with one skeleton read the same.
 */
export const skeleton = (name: string): string =>
  [...name.normalize("NFKC").toLowerCase().replace(hiddenChars, "").replace(bidiChars, "")]
    .map((ch) => confusables[ch] ?? ch)
    .join("")
    .replace(/0/g, "o")
    .replace(/[1i|]/g, "l")

/** A name folded for near-identical comparison: skeleton without separators (`send_email` ~ `sendEmail`). */
export const folded = (name: string): string => skeleton(name).replace(/[\s_.\-/:]+/g, "")

/** Whether a name uses a character outside printable ASCII. */
export const nonAscii = (name: string): boolean => /[^\x20-\x7E]/.test(name)
