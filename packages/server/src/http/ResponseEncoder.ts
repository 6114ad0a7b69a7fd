/**
 * A response schema's encoder compiled once into plain functions, for values the server made
 * itself (read from its store, typed by the schema). `Schema.encode` interprets the schema on
 * every call and re-checks every refinement: measured, it was most of a `GET /monitors`'s CPU
 * (1.3 ms to encode 50 monitors that `JSON.stringify` writes in 0.28 ms).
 *
 * What it keeps from `Schema.encode`: the same output — transformations encode (a `Date` becomes
 * its ISO string, a renamed or defaulted property its encoded form), and an object carries only
 * the properties its schema declares, so a field a domain value has but its response schema
 * lacks never leaks. What it drops: the checks of refinements and of the input's type, which a
 * value of the schema's own type passes anyway. Anything it does not know how to compile — an
 * effectful transformation, a declaration whose encoder is not synchronous — is encoded by
 * `Schema.encode` there, so the result is the same. `ResponseEncoder.test.ts` checks the output
 * against `Schema.encode` over generated values of every response schema it serves.
 *
 * Where the time went, and goes no more (a page of 100 monitors, 1.1 ms before, 0.4 ms now): a
 * struct with defaulted properties (`Schema.optionalWith`) was copied three times, through its
 * type side, its renames and its encoded side, with an `Option` per property; a `NullOr` or an
 * optional property asked `Schema.is` which member a value belongs to; each instant went through
 * a declaration's parse result.
 */
import { SchemaAST as AST, Either, Option, ParseResult, Schema } from "effect"

type Encode = (value: any) => unknown

/** A node whose encoded form is the value itself: nothing to copy. */
const identity: Encode = (value) => value

const options: AST.ParseOptions = {}

/** `Schema.encode` of one node, where compiling gives up. */
const interpreted = (ast: AST.AST): Encode => ParseResult.encodeUnknownSync(Schema.make(ast))

/** The value of a synchronous parse result; `undefined` marks one that is not synchronous. */
const settled = (result: unknown): { readonly value: unknown } | undefined => {
  if (!Either.isEither(result)) return undefined
  if (Either.isLeft(result))
    throw new ParseResult.ParseError({ issue: result.left as ParseResult.ParseIssue })
  return { value: result.right }
}

const isIdentity = (encode: Encode) => encode === identity

const compose = (outer: Encode, inner: Encode): Encode =>
  isIdentity(outer) ? inner : isIdentity(inner) ? outer : (value) => outer(inner(value))

/** `Schema.Date`'s encoding: `Date#toISOString`, and `"Invalid Date"` where that throws. */
const isoString = (date: Date): string => {
  try {
    return date.toISOString()
  } catch {
    return "Invalid Date"
  }
}

/**
 * Transformations whose encoding is known, by their transformation (shared by every annotated
 * copy of the schema): `Schema.Date`'s instants, the most frequent value of the responses.
 */
const known = new Map<unknown, Encode>([
  [(Schema.DateFromString.ast as AST.Transformation).transformation, isoString]
])

const compile = (ast: AST.AST): Encode => {
  switch (ast._tag) {
    case "Refinement":
      return compile(ast.from)
    case "Suspend": {
      // Compiled on first use: a recursive schema refers to itself.
      let compiled: Encode | undefined
      return (value) => {
        compiled ??= compile(ast.f())
        return compiled(value)
      }
    }
    case "TypeLiteral":
      return typeLiteral(ast)
    case "TupleType":
      return tuple(ast)
    case "Union":
      return union(ast)
    case "Transformation":
      return transformation(ast)
    case "Declaration": {
      const encode = ast.encodeUnknown(...ast.typeParameters)
      const fallback = interpreted(ast)
      return (value) => {
        const result = settled(encode(value, options, ast))
        return result === undefined ? fallback(value) : result.value
      }
    }
    default:
      // Keywords, literals, enums, template literals: their encoded form is the value.
      return identity
  }
}

const typeLiteral = (ast: AST.TypeLiteral): Encode => {
  const properties = ast.propertySignatures.map((p) => ({ name: p.name, encode: compile(p.type) }))
  const declared = new Set<PropertyKey>(properties.map((p) => p.name))
  const [index, ...more] = ast.indexSignatures
  // Index signatures over anything but all strings (template literal keys, several signatures) are rare.
  if (more.length > 0 || (index !== undefined && index.parameter._tag !== "StringKeyword"))
    return interpreted(ast)
  const indexed = index === undefined ? undefined : compile(index.type)
  return (value) => {
    const out: Record<PropertyKey, unknown> = {}
    for (const { name, encode } of properties) {
      if (Object.hasOwn(value, name)) out[name] = encode(value[name])
    }
    if (indexed !== undefined) {
      for (const key of Object.keys(value)) if (!declared.has(key)) out[key] = indexed(value[key])
    }
    return out
  }
}

const tuple = (ast: AST.TupleType): Encode => {
  const elements = ast.elements.map((e) => compile(e.type))
  const [rest, ...after] = ast.rest
  if (after.length > 0) return interpreted(ast)
  const restEncode = rest === undefined ? undefined : compile(rest.type)
  if (elements.length === 0 && restEncode !== undefined) {
    return isIdentity(restEncode)
      ? (value) => [...value]
      : (value: ReadonlyArray<unknown>) => value.map(restEncode)
  }
  return (value: ReadonlyArray<unknown>) =>
    value.map((item, i) => (i < elements.length ? elements[i]! : (restEncode ?? identity))(item))
}

const union = (ast: AST.Union): Encode => {
  const members = ast.types.map((member) => ({ ast: member, encode: compile(member), is: guard(member) }))
  if (members.every((m) => isIdentity(m.encode))) return identity
  const fallback = interpreted(ast)
  // A member of one value (the `null` of a `NullOr`, the `undefined` of an optional property)
  // has its encoding computed once, by the first member whose type holds the value, as the guards
  // would choose; any other value needs no guard when only one member is not of one value.
  const constants = new Map<unknown, unknown>()
  const others: typeof members = []
  for (const member of members) {
    const constant = constantOf(member.ast)
    if (constant === undefined) others.push(member)
    else if (!constants.has(constant.value))
      constants.set(constant.value, members.find((m) => m.is(constant.value))!.encode(constant.value))
  }
  if (others.length === 1) {
    const [only] = others
    return (value) => (constants.has(value) ? constants.get(value) : only!.encode(value))
  }
  return (value) => {
    if (constants.has(value)) return constants.get(value)
    for (const member of others) if (member.is(value)) return member.encode(value)
    return fallback(value)
  }
}

/** The one value of a literal or of `undefined`. */
const constantOf = (ast: AST.AST): { readonly value: unknown } | undefined =>
  AST.isLiteral(ast) ? { value: ast.literal } : AST.isUndefinedKeyword(ast) ? { value: undefined } : undefined

/** Whether a value is of a member's type; a literal's without building a parser. */
const guard = (ast: AST.AST): ((value: unknown) => boolean) => {
  if (AST.isLiteral(ast)) return (value) => value === ast.literal
  return Schema.is(Schema.make(AST.typeAST(ast)))
}

const transformation = (ast: AST.Transformation): Encode => {
  const encode = known.get(ast.transformation)
  if (encode !== undefined) return encode
  if (ast.transformation._tag === "TypeLiteralTransformation") {
    const direct = typeLiteralTransformation(ast.from, ast.to, ast.transformation)
    if (direct !== undefined) return direct
  }
  const from = compile(ast.from)
  const to = compile(ast.to)
  const t = ast.transformation
  switch (t._tag) {
    case "ComposeTransformation":
      return compose(from, to)
    case "FinalTransformation": {
      const fallback = interpreted(ast)
      return (value) => {
        const result = settled(t.encode(to(value), options, ast, value))
        return result === undefined ? fallback(value) : from(result.value)
      }
    }
    case "TypeLiteralTransformation": {
      // Renamed and defaulted properties (`Schema.optionalWith`, `fromKey`): each encodes its
      // presence (an `Option`) back to its encoded key. Copied, not deleted: a `delete` would
      // turn every encoded object into a slow dictionary.
      const renames = t.propertySignatureTransformations
      const renamed = new Set<PropertyKey>(renames.map((p) => p.to))
      return (value) => {
        const projected = to(value) as Record<PropertyKey, unknown>
        const out: Record<PropertyKey, unknown> = {}
        for (const key of Object.keys(projected)) if (!renamed.has(key)) out[key] = projected[key]
        for (const p of renames) {
          const encoded = p.encode(
            Object.hasOwn(projected, p.to) ? Option.some(projected[p.to]) : Option.none()
          )
          if (Option.isSome(encoded)) out[p.from] = encoded.value
        }
        return from(out)
      }
    }
  }
}

/**
 * A struct with renamed or defaulted properties in one pass, straight to its encoded side: the
 * type side of a value of its type would only be copied. Each encoded property comes from its
 * property signature transformation (its presence as an `Option`) or from the property of the
 * same name, in the encoded side's order, as `from(rename(to(value)))` writes them. Structs with
 * index signatures take that general path.
 */
const typeLiteralTransformation = (
  from: AST.AST,
  to: AST.AST,
  t: AST.TypeLiteralTransformation
): Encode | undefined => {
  if (!AST.isTypeLiteral(from) || !AST.isTypeLiteral(to)) return undefined
  if (from.indexSignatures.length > 0 || to.indexSignatures.length > 0) return undefined
  const byFrom = new Map(t.propertySignatureTransformations.map((p) => [p.from, p]))
  const renamed = new Set<PropertyKey>(t.propertySignatureTransformations.map((p) => p.to))
  const declared = new Set<PropertyKey>(to.propertySignatures.map((p) => p.name))
  const properties = from.propertySignatures.flatMap((p) => {
    const rename = byFrom.get(p.name)
    if (rename === undefined && (renamed.has(p.name) || !declared.has(p.name))) return []
    return [{ name: p.name, rename, required: !p.isOptional, encode: compile(p.type) }]
  })
  return (value) => {
    const out: Record<PropertyKey, unknown> = {}
    for (const { name, rename, required, encode } of properties) {
      if (rename === undefined) {
        if (required || Object.hasOwn(value, name)) out[name] = encode(value[name])
        continue
      }
      const encoded = rename.encode(
        Object.hasOwn(value, rename.to) ? Option.some(value[rename.to]) : Option.none()
      )
      if (Option.isSome(encoded)) out[name] = encode(encoded.value)
    }
    return out
  }
}

/** The encoder of `schema` for values of its type, compiled once. */
export const make = <A, I>(schema: Schema.Schema<A, I, never>): ((value: A) => I) =>
  compile(schema.ast) as (value: A) => I
