/**
 * Redaction of credentials (SPEC §3.2 step 4) and detection of credentials in arguments
 * (SPEC §9.2 `secret_in_arguments`). Everything stored — traces, tool results, audit entries —
 * passes through `redact` first; everything an agent sends passes through `checkArguments`.
 */
import { Effect } from "effect"
import { type FieldError, SecretInArguments, type StoreError } from "./Errors.js"
import { SecretStore } from "./ports/SecretStore.js"
import { fieldPath } from "./Validation.js"

/** What replaces a redacted value. */
export const placeholder = "[REDACTED]"

/** Known secrets shorter than this are ignored: replacing every "abc" would shred the trace. */
export const minSecretLength = 4

/**
 * Credential shapes, by kind. The lookarounds keep a match from starting inside a longer word
 * (`task-…` is not an `sk-` key). Minimum lengths keep ordinary words and short ids out.
 */
const patterns: ReadonlyArray<{ readonly kind: string; readonly re: RegExp; readonly keepPrefix?: boolean }> =
  [
    {
      kind: "private key",
      re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g
    },
    { kind: "Armature API key", re: /(?<![A-Za-z0-9])amt_[A-Za-z0-9]{4,}_[A-Za-z0-9_-]{8,}/g },
    // `Bearer ` stays readable so a trace still shows that a bearer token was sent.
    { kind: "bearer token", re: /(?<=\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, keepPrefix: true },
    { kind: "OpenAI/Anthropic key", re: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g },
    { kind: "Slack token", re: /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,}/g },
    {
      kind: "GitHub token",
      re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g
    },
    { kind: "GitLab token", re: /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/g },
    { kind: "AWS access key", re: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g },
    { kind: "Google API key", re: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}/g },
    { kind: "Stripe key", re: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g }
  ]

/** A bearer token must be this long to count as a credential in arguments ("Bearer token" in prose is not). */
const minBearerLength = 16

/** Replaces every known secret value and every credential-shaped substring of a text. */
export const redactText = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  // Longest first, so a secret containing another is replaced whole.
  const known = [
    ...new Set(secrets.filter((s) => typeof s === "string" && s.length >= minSecretLength))
  ].sort((a, b) => b.length - a.length)
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(placeholder)
  }
  for (const { re } of patterns) out = out.replace(re, placeholder)
  return out
}

/**
 * Deep copy of `value` with every string redacted (object keys are kept). Plain objects and
 * arrays are walked; other values (numbers, dates, class instances) are returned as they are.
 */
export const redact = <A>(value: A, secrets: ReadonlyArray<string>): A => {
  const seen = new WeakMap<object, unknown>()
  const go = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v, secrets)
    if (typeof v !== "object" || v === null) return v
    const done = seen.get(v)
    if (done !== undefined) return done
    if (Array.isArray(v)) {
      const out: unknown[] = []
      seen.set(v, out)
      for (const item of v) out.push(go(item))
      return out
    }
    const proto = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) return v
    const out: Record<string, unknown> = {}
    seen.set(v, out)
    for (const [key, member] of Object.entries(v)) out[key] = go(member)
    return out
  }
  return go(value) as A
}

/** The kind of credential a string looks like, or `null`. */
export const credentialKind = (text: string): string | null => {
  for (const { kind, re, keepPrefix } of patterns) {
    re.lastIndex = 0
    if (keepPrefix) {
      for (const match of text.matchAll(re)) if (match[0].length >= minBearerLength) return kind
      continue
    }
    if (re.test(text)) {
      re.lastIndex = 0
      return kind
    }
  }
  return null
}

/** Every string in `value` with its field path (rooted at `root`). */
export const stringsIn = (
  value: unknown,
  root: string
): ReadonlyArray<{ readonly field: string; readonly value: string }> => {
  const out: Array<{ field: string; value: string }> = []
  const seen = new WeakSet<object>()
  const go = (v: unknown, path: ReadonlyArray<PropertyKey>) => {
    if (typeof v === "string") {
      out.push({ field: fieldPath(root, path), value: v })
      return
    }
    if (typeof v !== "object" || v === null || seen.has(v)) return
    seen.add(v)
    if (Array.isArray(v)) for (const [i, item] of v.entries()) go(item, [...path, i])
    else for (const [key, member] of Object.entries(v)) go(member, [...path, key])
  }
  go(value, [])
  return out
}

/**
 * Field paths (rooted at `root`) of every string in `value` that looks like a credential, or is
 * one of `stored` (values the organization keeps as secrets, as `SecretStore.matching` found).
 */
export const findSecrets = (
  value: unknown,
  root: string,
  stored: ReadonlySet<string> = new Set()
): ReadonlyArray<FieldError> =>
  stringsIn(value, root).flatMap(({ field, value: text }) => {
    // The message names the kind only: echoing the value would leak it into logs and replies.
    if (stored.has(text)) {
      return [
        {
          field,
          message:
            "Repeats a secret stored in this organization; reference it through an auth profile, never as an argument"
        }
      ]
    }
    const kind = credentialKind(text)
    return kind === null
      ? []
      : [
          {
            field,
            message: `Looks like a credential (${kind}); pass secrets through an auth profile, never as arguments`
          }
        ]
  })

/** Fails with `secret_in_arguments` naming every field that looks like a credential (or is one of `stored`). */
export const checkArguments = (
  value: unknown,
  root: string,
  stored: ReadonlySet<string> = new Set()
): Effect.Effect<void, SecretInArguments> => {
  const fieldErrors = findSecrets(value, root, stored)
  if (fieldErrors.length === 0) return Effect.void
  return Effect.fail(
    new SecretInArguments({
      message: `Arguments contain what looks like a credential: ${fieldErrors.map((f) => f.field).join(", ")}`,
      fieldErrors
    })
  )
}

/**
 * `checkArguments` against the organization's stored secrets too (SPEC §9.2): a value equal to a
 * stored credential is refused like one that merely looks like a credential. For everything
 * that is stored and shown — monitor arguments, workflow variables, run reasons, MCP tool arguments.
 */
export const refuseSecrets = (
  orgId: string,
  value: unknown,
  root: string
): Effect.Effect<void, SecretInArguments | StoreError, SecretStore> =>
  Effect.gen(function* () {
    const candidates = stringsIn(value, root)
      .map((s) => s.value)
      .filter((v) => v.length >= minSecretLength)
    const stored =
      candidates.length === 0
        ? new Set<string>()
        : yield* Effect.flatMap(SecretStore, (secrets) => secrets.matching(orgId, candidates))
    return yield* checkArguments(value, root, stored)
  })
