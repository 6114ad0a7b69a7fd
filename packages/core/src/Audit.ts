/**
 * The audit log: who did what, through which interface, with which intent. Interfaces record
 * what they did (`record`, `recordToolCall`); admins read it a page at a time (`list`, SPEC §11
 * `audit.read`). Tool calls keep their arguments for a review of what an agent did — with every
 * credential-looking value and every value equal to a stored secret redacted, and long values
 * cut, so the log never becomes where secrets or bulk data end up.
 */
import { Effect, Schema } from "effect"
import { type Actor, AuditEntry, type Caller } from "./domain/Audit.js"
import type { ForbiddenRole, StoreError, ValidationFailed } from "./Errors.js"
import { now } from "./internal/clock.js"
import { newId } from "./internal/ids.js"
import * as Pages from "./Pages.js"
import { AuditLog } from "./ports/AuditLog.js"
import type { Ids } from "./ports/Ids.js"
import { encodeRunCursor } from "./ports/RunStore.js"
import { SecretStore } from "./ports/SecretStore.js"
import * as Redaction from "./Redaction.js"
import * as Roles from "./Roles.js"
import { decode } from "./Validation.js"

/** What an interface records of one action. */
export interface Action {
  readonly action: string
  readonly targetId?: string | null
  readonly intent?: string | null
  /** `ok` or the ApiError code. */
  readonly outcome: string
  readonly arguments?: unknown
  readonly durationMs?: number | null
}

/** Records `action` of `actor` in `orgId`, stamped with a new id and the current time. */
export const record = (
  orgId: string,
  actor: Actor,
  action: Action
): Effect.Effect<void, StoreError, AuditLog | Ids> =>
  Effect.gen(function* () {
    const id = yield* newId
    const at = yield* now
    const entry: AuditEntry = {
      id,
      orgId,
      at,
      actor,
      action: action.action,
      targetId: action.targetId ?? null,
      intent: action.intent ?? null,
      outcome: action.outcome,
      arguments: action.arguments ?? null,
      durationMs: action.durationMs ?? null
    }
    yield* Effect.flatMap(AuditLog, (log) => log.record(entry))
  })

/** Longest string kept in recorded arguments; longer ones are cut and marked. */
const maxStringLength = 1000
/** Largest recorded arguments (JSON characters); larger ones are replaced by their size. */
const maxArgumentsLength = 16_384

const cut = (value: unknown): unknown => {
  if (typeof value === "string")
    return value.length <= maxStringLength
      ? value
      : `${value.slice(0, maxStringLength)}… (${value.length} chars)`
  if (Array.isArray(value)) return value.map(cut)
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v)]))
  return value
}

/**
 * Arguments as the log keeps them: credentials redacted, long strings cut, and the whole replaced
 * by its size past 16 KiB. `lookUpStored` also redacts values equal to the organization's stored
 * secrets — one store query, which callers skip when the arguments already passed
 * `Redaction.refuseSecrets` (nothing stored can be in them then).
 */
export const loggedArguments = (
  orgId: string,
  args: unknown,
  lookUpStored: boolean
): Effect.Effect<unknown, StoreError, SecretStore> =>
  Effect.gen(function* () {
    const candidates = Redaction.stringsIn(args, "")
      .map((s) => s.value)
      .filter((v) => v.length >= Redaction.minSecretLength)
    const stored =
      lookUpStored && candidates.length > 0
        ? yield* Effect.flatMap(SecretStore, (secrets) => secrets.matching(orgId, candidates))
        : new Set<string>()
    const kept = cut(Redaction.redact(args, [...stored]))
    const size = JSON.stringify(kept)?.length ?? 0
    return size <= maxArgumentsLength ? kept : { omitted: `arguments of ${size} characters` }
  })

/** What `list` accepts. */
export const ListInput = Schema.Struct({
  action: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100))),
  keyId: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100))),
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 200)), { default: () => 50 }),
  cursor: Schema.optional(Schema.String)
})
export type ListRequest = typeof ListInput.Encoded

/** A page of the log. */
export const Page = Schema.Struct({
  items: Schema.Array(AuditEntry.pipe(Schema.omit("orgId"))),
  nextCursor: Schema.NullOr(Schema.String)
})
export type Page = typeof Page.Type

/**
 * The caller's organization's log, newest first, filtered by action and key, a page at a time
 * (follow `nextCursor` until it is null). Admins and owners only: it shows every member's work.
 */
export const list = (
  caller: Caller,
  request: ListRequest = {}
): Effect.Effect<Page, ForbiddenRole | ValidationFailed | StoreError, AuditLog> =>
  Effect.gen(function* () {
    yield* Roles.authorize(caller.actor, "audit.read")
    const { action, keyId, limit, cursor } = yield* decode(ListInput)(request)
    const after = yield* Pages.position(cursor)
    // One more than a page, to know whether another follows.
    const found = yield* Effect.flatMap(AuditLog, (log) =>
      log.list(caller.orgId, {
        ...(action === undefined ? {} : { action }),
        ...(keyId === undefined ? {} : { keyId }),
        ...(after === undefined ? {} : { after: { at: after.sortAt, id: after.id } }),
        limit: limit + 1
      })
    )
    const page = found.slice(0, limit)
    const last = page.at(-1)
    return {
      items: page.map(({ orgId: _, ...entry }) => entry),
      nextCursor:
        found.length > limit && last !== undefined ? encodeRunCursor({ sortAt: last.at, id: last.id }) : null
    }
  })
