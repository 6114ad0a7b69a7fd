import { Effect, type Either, Exit, FiberRef, type Redacted } from "effect"
import type { AlertRule, OutboxMessage } from "../../domain/Alert.js"
import type { AuditEntry } from "../../domain/Audit.js"
import type { CatalogVersion } from "../../domain/Catalog.js"
import { nameKey } from "../../domain/Common.js"
import type { AuthProfile, McpServer } from "../../domain/McpServer.js"
import type { Monitor, MonitorCheck } from "../../domain/Monitor.js"
import type { ApiKey, Invitation, Member, Organization, Subscription } from "../../domain/Organization.js"
import type { Proposal } from "../../domain/Proposal.js"
import type { Run } from "../../domain/Run.js"
import type { SlackInstallation, SlackInstallLink } from "../../domain/Slack.js"
import type { Workflow, WorkflowVersion } from "../../domain/Workflow.js"
import { Conflict, StoreError } from "../../Errors.js"
import type { AlertIncident } from "../../ports/AlertStore.js"
import type { Job } from "../../ports/JobQueue.js"
import type { PageQuery } from "../../ports/Page.js"

/** Every table of the in-memory store. Rows are immutable: writes replace them, never mutate. */
export interface Tables {
  organizations: Map<string, Organization>
  members: Map<string, Member>
  apiKeys: Map<string, ApiKey>
  invitations: Map<string, Invitation>
  subscriptions: Map<string, Subscription>
  servers: Map<string, McpServer>
  authProfiles: Map<string, AuthProfile>
  catalogVersions: Map<string, CatalogVersion>
  workflows: Map<string, Workflow>
  workflowVersions: Map<string, WorkflowVersion>
  runs: Map<string, Run>
  monitors: Map<string, Monitor>
  checks: Map<string, MonitorCheck>
  alertRules: Map<string, AlertRule>
  outbox: Map<string, OutboxMessage>
  alertIncidents: Map<string, AlertIncident>
  proposals: Map<string, Proposal>
  jobs: Map<string, Job>
  /** When each ended job ended (the port's `Job` has no such field; `prune` needs it). */
  jobEndedAt: Map<string, Date>
  audit: Map<string, AuditEntry>
  secrets: Map<string, { readonly orgId: string; readonly value: Redacted.Redacted<string> }>
  /** By organization id: one installation each, with the reference of its bot token's secret. */
  slackInstallations: Map<string, { readonly installation: SlackInstallation; readonly secretRef: string }>
  slackInstallLinks: Map<string, SlackInstallLink>
}

const emptyTables = (): Tables => ({
  organizations: new Map(),
  members: new Map(),
  apiKeys: new Map(),
  invitations: new Map(),
  subscriptions: new Map(),
  servers: new Map(),
  authProfiles: new Map(),
  catalogVersions: new Map(),
  workflows: new Map(),
  workflowVersions: new Map(),
  runs: new Map(),
  monitors: new Map(),
  checks: new Map(),
  alertRules: new Map(),
  outbox: new Map(),
  alertIncidents: new Map(),
  proposals: new Map(),
  jobs: new Map(),
  jobEndedAt: new Map(),
  audit: new Map(),
  secrets: new Map(),
  slackInstallations: new Map(),
  slackInstallLinks: new Map()
})

// Rows are never mutated in place, so copying the maps is a complete snapshot.
const snapshot = (tables: Tables): Tables => {
  const copy = {} as Record<string, Map<string, unknown>>
  for (const [name, table] of Object.entries(tables)) copy[name] = new Map(table as Map<string, unknown>)
  return copy as unknown as Tables
}

const restore = (tables: Tables, saved: Tables): void => {
  Object.assign(tables, saved)
}

/**
 * The shared state of one in-memory store, with serializable transactions: a transaction holds
 * the store's single lock until it ends, and store calls outside it wait, so a rollback can never
 * erase another fiber's write. Store calls made inside a transaction (or by fibers it forks) run
 * without waiting, like statements on the transaction's connection.
 */
export interface Db {
  /** Runs one store statement atomically. */
  readonly run: <A>(statement: (tables: Tables) => A) => Effect.Effect<A>
  /** Runs one statement that may fail; it must check before it writes, so a failure writes nothing. */
  readonly attempt: <A, E>(statement: (tables: Tables) => Either.Either<A, E>) => Effect.Effect<A, E>
  /** Runs `effect` in a transaction; on failure or interruption the state is put back as it was. */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** Creates an empty store state. */
export const makeDb: Effect.Effect<Db> = Effect.gen(function* () {
  const tables = emptyTables()
  const lock = yield* Effect.makeSemaphore(1)
  // Per store instance, so two stores in one test never see each other's transactions.
  const inTransaction = FiberRef.unsafeMake(false)

  const savepoint = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.suspend(() => {
      const saved = snapshot(tables)
      return Effect.onExit(effect, (exit) =>
        Exit.isFailure(exit) ? Effect.sync(() => restore(tables, saved)) : Effect.void
      )
    })

  const run = <A>(statement: (tables: Tables) => A): Effect.Effect<A> =>
    Effect.flatMap(FiberRef.get(inTransaction), (inside) => {
      const step = Effect.sync(() => statement(tables))
      return inside ? step : lock.withPermits(1)(step)
    })

  return {
    run,
    attempt: (statement) => Effect.flatten(run(statement)),
    transaction: (effect) =>
      Effect.flatMap(FiberRef.get(inTransaction), (inside) =>
        inside
          ? savepoint(effect)
          : lock.withPermits(1)(Effect.locally(savepoint(effect), inTransaction, true))
      )
  }
})

/** Orders rows by creation time, then id, the way the PostgreSQL adapter lists them. */
export const byCreation = <A extends { readonly createdAt: Date; readonly id: string }>(a: A, b: A): number =>
  a.createdAt.getTime() - b.createdAt.getTime() || compareIds(a.id, b.id)

/** One page (`PageQuery`) of rows sorted `byCreation`; all of them without a page. */
export const pageOf = <A extends { readonly createdAt: Date; readonly id: string }>(
  sorted: Array<A>,
  page: PageQuery | undefined
): Array<A> => {
  if (page === undefined) return sorted
  const after = page.after
  const rest =
    after === undefined
      ? sorted
      : sorted.filter(
          (r) =>
            r.createdAt.getTime() > after.at.getTime() ||
            (r.createdAt.getTime() === after.at.getTime() && compareIds(r.id, after.id) > 0)
        )
  return rest.slice(0, page.limit)
}

/** Byte-wise id order (PostgreSQL `COLLATE "C"`). */
export const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Rows of `table` that belong to `orgId` and satisfy `where`. */
export const rowsOf = <A extends { readonly orgId: string }>(
  table: Map<string, A>,
  orgId: string,
  where: (row: A) => boolean = () => true
): Array<A> => Array.from(table.values()).filter((row) => row.orgId === orgId && where(row))

/** Whether another row of `orgId` has a name equal to `name` by `nameKey` (case and space ignored). */
export const nameTaken = <A extends { readonly orgId: string; readonly id: string }>(
  table: Map<string, A>,
  row: { readonly orgId: string; readonly id: string },
  name: string,
  nameOf: (row: A) => string
): boolean =>
  rowsOf(table, row.orgId, (r) => r.id !== row.id && nameKey(nameOf(r)) === nameKey(name)).length > 0

/** The row with `id` if it belongs to `orgId`. */
export const rowOf = <A extends { readonly orgId: string }>(
  table: Map<string, A>,
  orgId: string,
  id: string
): A | undefined => {
  const row = table.get(id)
  return row !== undefined && row.orgId === orgId ? row : undefined
}

/** A `Conflict` naming the field whose uniqueness was violated. */
export const conflict = (field: string, message: string) =>
  new Conflict({ message, fieldErrors: [{ field, message }] })

/** A violated key the port does not report as `Conflict`: a database would fail the statement. */
export const duplicate = (what: string, id: string) => new StoreError({ message: `duplicate ${what}: ${id}` })
