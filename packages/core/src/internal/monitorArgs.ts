/**
 * Monitor arguments against a tool's JSON Schema: validation with Ajv into field errors
 * (`arguments.city`), step-reference templates of multi-step monitors, and example arguments
 * generated from a schema for monitor suggestions.
 */
import AjvModule, { type ErrorObject } from "ajv"
import type { JsonObject } from "../domain/Common.js"
import type { FieldError } from "../Errors.js"

// ajv is CommonJS: its class is the module's `default` under Node's ESM interop and bundlers alike.
const Ajv = AjvModule.default

/** Formats are not checked (no `ajv-formats`), and must not warn: servers use many of them. */
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false })

type Schema = { readonly [key: string]: unknown }
const isObject = (u: unknown): u is Schema => typeof u === "object" && u !== null && !Array.isArray(u)

/** `{{steps.N.path}}`: a reference to the result of an earlier step of a multi-step monitor. */
const templatePattern = /\{\{\s*steps\.(\d+)((?:\.[^\s{}]+)*)\s*\}\}/g

/** Renders a JSON Pointer into `data` as a field path (`arguments.items[0].id`). */
export const pointerToField = (root: string, pointer: string, data: unknown): string => {
  if (pointer === "") return root
  let out = root
  let node: unknown = data
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      out += `[${key}]`
      node = node[Number(key)]
    } else {
      out += out === "" ? key : `.${key}`
      node = isObject(node) ? node[key] : undefined
    }
  }
  return out
}

const escapeKey = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1")

/** Pointers (and referenced step numbers) of every string value that contains a step template. */
export const templatesIn = (
  value: unknown
): ReadonlyArray<{ pointer: string; steps: ReadonlyArray<number> }> => {
  const out: Array<{ pointer: string; steps: number[] }> = []
  const go = (v: unknown, pointer: string) => {
    if (typeof v === "string") {
      const steps = [...v.matchAll(templatePattern)].map((m) => Number(m[1]))
      if (steps.length > 0) out.push({ pointer, steps })
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) go(item, `${pointer}/${i}`)
    } else if (isObject(v)) for (const [k, item] of Object.entries(v)) go(item, `${pointer}/${escapeKey(k)}`)
  }
  go(value, "")
  return out
}

const messageOf = (e: ErrorObject): string => {
  switch (e.keyword) {
    case "required":
      return "is required"
    case "additionalProperties":
      return "is not allowed"
    case "enum":
      return `must be one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`
    default:
      return e.message ?? `fails ${e.keyword}`
  }
}

/** The pointer an Ajv error is about: the missing or extra property itself when there is one. */
const pointerOf = (e: ErrorObject): string => {
  const params = e.params as { missingProperty?: string; additionalProperty?: string }
  const extra =
    e.keyword === "required"
      ? params.missingProperty
      : e.keyword === "additionalProperties"
        ? params.additionalProperty
        : undefined
  return extra === undefined ? e.instancePath : `${e.instancePath}/${escapeKey(extra)}`
}

/** A copy of a tool schema Ajv can compile: its `$schema` dialect marker is dropped (validated as draft-07). */
export const compilable = (schema: Schema): Schema => {
  const { $schema: _, ...rest } = schema
  return rest
}

/**
 * Field errors of `args` against a tool's input schema, rooted at `root` (`arguments`). Values
 * holding step templates are only known at run time, so errors about them are skipped. A schema
 * Ajv cannot compile validates nothing rather than blocking the monitor.
 */
export const validateArguments = (
  root: string,
  schema: Schema,
  args: JsonObject,
  skipPointers: ReadonlyArray<string> = []
): ReadonlyArray<FieldError> => {
  let validate: ReturnType<typeof ajv.compile>
  const copy = compilable(schema)
  try {
    validate = ajv.compile(copy)
  } catch {
    return []
  }
  try {
    if (validate(args)) return []
    const skipped = (p: string) => skipPointers.some((s) => p === s || p.startsWith(`${s}/`))
    const seen = new Set<string>()
    const out: FieldError[] = []
    for (const e of validate.errors ?? []) {
      const pointer = pointerOf(e)
      if (skipped(pointer) || skipped(e.instancePath)) continue
      // Composition keywords repeat their branches' errors; the branch errors say more.
      if (e.keyword === "anyOf" || e.keyword === "oneOf" || e.keyword === "if") continue
      const error = { field: pointerToField(root, pointer, args), message: messageOf(e) }
      const key = `${error.field}\u0000${error.message}`
      if (!seen.has(key)) out.push(error)
      seen.add(key)
    }
    return out
  } finally {
    // Tool schemas are one-off objects: keep Ajv's cache from growing with every monitor saved.
    ajv.removeSchema(copy)
  }
}

/** Field errors of step references that do not point to an earlier step (step `index` may use 0…index-1). */
export const checkTemplates = (root: string, args: JsonObject, index: number): ReadonlyArray<FieldError> =>
  templatesIn(args).flatMap(({ pointer, steps }) =>
    steps
      .filter((n) => n >= index)
      .map((n) => ({
        field: pointerToField(root, pointer, args),
        message:
          index === 0
            ? "the first step cannot reference step results"
            : `references step ${n}, but only steps 0 to ${index - 1} run before this one`
      }))
  )

const formatExamples: Record<string, string> = {
  email: "test@example.com",
  uri: "https://example.com",
  url: "https://example.com",
  date: "2024-01-01",
  "date-time": "2024-01-01T00:00:00Z",
  time: "00:00:00",
  uuid: "00000000-0000-4000-8000-000000000000"
}

/** A plausible value for a schema: const, default, first enum value, first example, then by type. */
export const exampleValue = (schema: unknown, depth = 0): unknown => {
  if (!isObject(schema) || depth > 8) return "test"
  if (schema.const !== undefined) return schema.const
  if (schema.default !== undefined) return schema.default
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = schema[key]
    if (Array.isArray(branches)) {
      const branch = branches.find((b) => !(isObject(b) && b.type === "null")) ?? branches[0]
      return exampleValue(branch, depth + 1)
    }
  }
  const types =
    typeof schema.type === "string" ? [schema.type] : Array.isArray(schema.type) ? schema.type : []
  const type = types.find((t) => t !== "null") ?? (isObject(schema.properties) ? "object" : types[0])
  switch (type) {
    case "string": {
      const base = (typeof schema.format === "string" ? formatExamples[schema.format] : undefined) ?? "test"
      const min = typeof schema.minLength === "number" ? schema.minLength : 0
      return base.length >= min ? base : base.padEnd(min, "x")
    }
    case "integer":
    case "number": {
      if (typeof schema.minimum === "number") return schema.minimum
      if (typeof schema.exclusiveMinimum === "number") return schema.exclusiveMinimum + 1
      if (typeof schema.maximum === "number" && schema.maximum < 0) return schema.maximum
      return 0
    }
    case "boolean":
      return false
    case "null":
      return null
    case "array": {
      const min = typeof schema.minItems === "number" ? schema.minItems : 0
      return Array.from({ length: min }, () => exampleValue(schema.items, depth + 1))
    }
    case "object":
      return exampleObject(schema, depth + 1)
    default:
      return "test"
  }
}

/** An object with a value for every required property of `schema`, recursively. */
export const exampleObject = (schema: unknown, depth = 0): JsonObject => {
  if (!isObject(schema)) return {}
  const properties = isObject(schema.properties) ? schema.properties : {}
  const required = Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === "string")
    : []
  const out: Record<string, unknown> = {}
  for (const name of required) out[name] = exampleValue(properties[name], depth)
  return out
}
