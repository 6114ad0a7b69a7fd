import { SchemaAST as AST, Effect, Either, Option, ParseResult, Schema } from "effect"
import { type FieldError, type ValidationFailed, validationFailed } from "./Errors.js"

/** Longest field-path segment or message shown back: input keys and values may be huge. */
const maxSegment = 64
const maxMessage = 200
/** Errors listed at most; the rest are counted, so a large bad array cannot make a large reply. */
const maxErrors = 20

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}…` : s)
const printable = (s: string) => s.replaceAll("\u0000", "\\u0000")

/** Renders a Schema issue path as a field path: `changes.criteria[0].position`. */
export const fieldPath = (root: string, path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`
    const name = clip(printable(String(key)), maxSegment)
    return acc === "" ? name : `${acc}.${name}`
  }, root) || "(root)"

/** A short rendering of a rejected value; never all of a long one, which may be large or secret. */
export const describeValue = (u: unknown): string => {
  if (u === null) return "null"
  if (u === undefined) return "nothing"
  if (typeof u === "string") return u.length > 40 ? `a string of ${u.length} characters` : JSON.stringify(u)
  if (typeof u === "number" || typeof u === "boolean") return String(u)
  if (Array.isArray(u)) return `an array of ${u.length} items`
  return typeof u === "object" ? "an object" : `a ${typeof u}`
}

const annotation = (ast: AST.AST): string | undefined =>
  Option.getOrUndefined(
    AST.getDescriptionAnnotation(ast).pipe(Option.orElse(() => AST.getTitleAnnotation(ast)))
  )

const joinOr = (items: ReadonlyArray<string>) =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`

/** What a value of `ast` must be, in words, as the client sends it (the encoded side). */
const expected = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "Refinement":
      return annotation(ast) ?? expected(ast.from)
    case "Transformation":
      return expected(ast.from)
    case "Suspend":
      return expected(ast.f())
    case "Declaration":
      return annotation(ast) ?? Option.getOrElse(AST.getIdentifierAnnotation(ast), () => "a valid value")
    case "Literal":
      return ast.literal === null ? "null" : JSON.stringify(ast.literal)
    case "Enums":
      return `one of ${ast.enums.map(([, v]) => JSON.stringify(v)).join(", ")}`
    case "Union":
      return joinOr([...new Set(ast.types.map(expected))])
    case "StringKeyword":
    case "TemplateLiteral":
      return "a string"
    case "NumberKeyword":
      return "a number"
    case "BooleanKeyword":
      return "true or false"
    case "TypeLiteral":
    case "ObjectKeyword":
      return "an object"
    case "TupleType":
      return "an array"
    case "UndefinedKeyword":
    case "VoidKeyword":
    case "NeverKeyword":
      return "absent"
    default:
      return "a valid value"
  }
}

type Leaf =
  | { readonly path: ReadonlyArray<PropertyKey>; readonly expected: string; readonly actual: unknown }
  | { readonly path: ReadonlyArray<PropertyKey>; readonly message: string }

const annotated = (ast: AST.AST) => Option.isSome(AST.getMessageAnnotation(ast))

/**
 * Whether a schema's author worded this failure. A refinement's message speaks of its own
 * predicate, not of a value of the wrong type underneath (`kind: "From"`), as in Effect.
 */
const hasOwnMessage = (issue: ParseResult.ParseIssue) => {
  switch (issue._tag) {
    case "Type":
      return issue.message !== undefined || annotated(issue.ast)
    case "Refinement":
      return issue.kind === "Predicate" && annotated(issue.ast)
    case "Transformation":
      return issue.kind === "Transformation" && annotated(issue.ast)
    default:
      return false
  }
}

/**
 * The leaves of an issue tree. A schema's own `message` annotation is kept (it was written for
 * people); the library's default wording (`Expected Struct (Encoded side), actual …`) is
 * replaced by what the field must be.
 */
const leaves = (issue: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>, out: Leaf[]): void => {
  if (hasOwnMessage(issue)) {
    for (const formatted of ParseResult.ArrayFormatter.formatIssueSync(issue)) {
      out.push({ path: [...path, ...formatted.path], message: clip(formatted.message, maxMessage) })
    }
    return
  }
  switch (issue._tag) {
    case "Type":
      out.push({ path, expected: expected(issue.ast), actual: issue.actual })
      return
    case "Missing":
      out.push({ path, message: "is missing" })
      return
    case "Unexpected":
      out.push({
        path,
        message: clip(
          (issue.message ?? "").replace(
            /^is unexpected, expected: (.*)$/,
            (_, keys: string) => `is not a known field (expected one of ${keys.split(" | ").join(", ")})`
          ) || "is not a known field",
          maxMessage
        )
      })
      return
    case "Forbidden":
      out.push({ path, message: "could not be checked" })
      return
    case "Pointer":
      leaves(issue.issue, path.concat(issue.path), out)
      return
    case "Refinement":
    case "Transformation":
      leaves(issue.issue, path, out)
      return
    case "Composite":
      for (const inner of Array.isArray(issue.issues) ? issue.issues : [issue.issues])
        leaves(inner, path, out)
      return
  }
}

/** Every offending field of a parse error, as field errors rooted at `root`. */
export const fieldErrorsOf = (error: ParseResult.ParseError, root = ""): ReadonlyArray<FieldError> => {
  const found: Leaf[] = []
  leaves(error.issue, [], found)
  const byField = new Map<string, { expected: string[]; actual: unknown; messages: string[] }>()
  for (const leaf of found) {
    const field = fieldPath(root, leaf.path)
    const entry = byField.get(field) ?? { expected: [], actual: undefined, messages: [] }
    byField.set(field, entry)
    if ("message" in leaf) {
      if (!entry.messages.includes(leaf.message)) entry.messages.push(leaf.message)
    } else if (!entry.expected.includes(leaf.expected)) {
      entry.expected.push(leaf.expected)
      entry.actual = leaf.actual
    }
  }
  const fields = [...byField.keys()]
  const out: FieldError[] = []
  for (const [field, entry] of byField) {
    // Fields with a default (`optionalWith`) decode through `X | undefined`: "must be absent" only
    // restates that a present value is wrong, so it goes when anything else explains why; so does
    // "must be null" of a nullable field whose schema says in its own words what was wrong.
    const deeper = fields.some((f) => f.startsWith(`${field}.`) || f.startsWith(`${field}[`))
    const expectations =
      entry.expected.length > 1 || entry.messages.length > 0 || deeper
        ? entry.expected.filter((e) => e !== "absent" && (entry.messages.length === 0 || e !== "null"))
        : entry.expected
    if (expectations.length > 0) {
      const literals = expectations.length > 1 && expectations.every((e) => e.startsWith('"'))
      const what = literals ? `one of ${expectations.join(", ")}` : joinOr(expectations)
      out.push({ field, message: `must be ${what} (got ${describeValue(entry.actual)})` })
    } else if (entry.messages.length === 0 && !deeper) {
      out.push({ field, message: "must be absent" })
    }
    for (const message of entry.messages) out.push({ field, message })
  }
  return capped(out)
}

const capped = (errors: ReadonlyArray<FieldError>): ReadonlyArray<FieldError> =>
  errors.length <= maxErrors
    ? errors
    : [
        ...errors.slice(0, maxErrors),
        { field: "(more)", message: `${errors.length - maxErrors} more field errors not shown` }
      ]

/**
 * Strings (values or keys) holding a NUL character, which PostgreSQL text cannot store and no
 * legitimate input needs. Walks iteratively: external input may be deeply nested.
 */
export const nulFields = (input: unknown, root = ""): ReadonlyArray<FieldError> => {
  const out: FieldError[] = []
  const message = "must not contain NUL characters (\\u0000)"
  const seen = new Set<object>()
  const stack: Array<{ value: unknown; path: ReadonlyArray<PropertyKey> }> = [{ value: input, path: [] }]
  while (stack.length > 0 && out.length <= maxErrors) {
    const { value, path } = stack.pop()!
    if (typeof value === "string") {
      if (value.includes("\u0000")) out.push({ field: fieldPath(root, path), message })
    } else if (typeof value === "object" && value !== null && !seen.has(value)) {
      seen.add(value)
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] })
      } else {
        for (const [key, inner] of Object.entries(value)) {
          if (key.includes("\u0000")) out.push({ field: fieldPath(root, [...path, key]), message })
          stack.push({ value: inner, path: [...path, key] })
        }
      }
    }
  }
  return capped(out)
}

/**
 * Decodes external input once, at the edge. Reports every offending field (not just the
 * first) and rejects keys the schema does not know, so typos are not silently dropped.
 */
export const decode =
  <A, I>(schema: Schema.Schema<A, I, never>, root = "") =>
  (input: unknown): Effect.Effect<A, ValidationFailed> => {
    const nul = nulFields(input, root)
    if (nul.length > 0) return Effect.fail(validationFailed(nul))
    const result = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(input)
    return Either.isRight(result)
      ? Effect.succeed(result.right)
      : Effect.fail(validationFailed(fieldErrorsOf(result.left, root)))
  }

/** Fails with `validation_failed` when `errors` is not empty. */
export const failIfAny = (errors: ReadonlyArray<FieldError>): Effect.Effect<void, ValidationFailed> =>
  errors.length === 0 ? Effect.void : Effect.fail(validationFailed(errors))
