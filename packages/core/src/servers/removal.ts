/**
 * Deleting a server, or one of its auth profiles: refused with `conflict` while workflows or
 * monitors use them (listed in `usedBy`); the secrets they held go with them.
 */
import { Effect, Schema } from "effect"
import type { Caller } from "../domain/Audit.js"
import { Conflict, type ForbiddenRole, type NotFound, type StoreError, type UsedBy } from "../Errors.js"
import { now } from "../internal/clock.js"
import { archiveMonitors, deleteRulesOf } from "../internal/monitorRecords.js"
import type { AlertStore } from "../ports/AlertStore.js"
import { MonitorStore } from "../ports/MonitorStore.js"
import { SecretStore } from "../ports/SecretStore.js"
import { ServerStore } from "../ports/ServerStore.js"
import { Transactor } from "../ports/Transactor.js"
import { WorkflowStore } from "../ports/WorkflowStore.js"
import * as Roles from "../Roles.js"
import { annotateSpan, loadServer, profileNotFound, profilesOf } from "./records.js"

/** What deleting a server took with it. */
export const Deleted = Schema.Struct({
  serverId: Schema.String,
  /** Workflows of the server, archived: their runs stay readable. */
  archivedWorkflows: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String })),
  /** Monitors of the server, archived (deleted): their checks stay readable. */
  archivedMonitors: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String })),
  /** Alert rules on the server or on its archived monitors, which could never fire again. */
  deletedAlertRules: Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String }))
})
export type Deleted = typeof Deleted.Type

/** The workflows and monitors (neither archived) of a server. */
const usersOf = (orgId: string, serverId: string) =>
  Effect.all({
    workflows: Effect.flatMap(WorkflowStore, (s) => s.listWorkflows(orgId, { mcpServerId: serverId })),
    monitors: Effect.flatMap(MonitorStore, (s) => s.listMonitors(orgId, { mcpServerId: serverId }))
  })

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

const named = (users: ReadonlyArray<UsedBy>) =>
  users
    .slice(0, 5)
    .map((u) => `${u.type} "${u.name}"`)
    .join(", ") + (users.length > 5 ? `, and ${users.length - 5} more` : "")

/**
 * Deletes a server with its auth profiles (and their secrets) and catalog history. Refused with
 * `conflict`, listing them in `usedBy`, while monitors or workflows use it — unless `cascade`,
 * which archives those workflows (runs stay readable) and those monitors (checks stay readable;
 * `Monitors.remove`), with the alert rules on them. Runs, archived workflows and archived
 * monitors keep the server's id: none of them has a foreign key to it.
 */
export const remove = Effect.fn("Servers.remove")(function* (
  caller: Caller,
  serverId: string,
  options: { readonly cascade?: boolean } = {}
): Effect.fn.Return<
  Deleted,
  ForbiddenRole | NotFound | Conflict | StoreError,
  ServerStore | SecretStore | WorkflowStore | MonitorStore | AlertStore | Transactor
> {
  yield* annotateSpan(caller.orgId, serverId)
  yield* Roles.authorize(caller.actor, "servers.write")
  const server = yield* loadServer(caller.orgId, serverId)
  const tx = yield* Transactor
  return yield* tx.withTransaction(
    Effect.gen(function* () {
      const { workflows, monitors } = yield* usersOf(caller.orgId, serverId)
      const usedBy: ReadonlyArray<UsedBy> = [
        ...monitors.map((m) => ({ type: "monitor" as const, id: m.id, name: m.name })),
        ...workflows.map((w) => ({ type: "workflow" as const, id: w.id, name: w.spec.name }))
      ]
      if (usedBy.length > 0 && options.cascade !== true) {
        return yield* new Conflict({
          message:
            `Server "${server.name}" is used by ${plural(monitors.length, "monitor")} and ` +
            `${plural(workflows.length, "workflow")} (${named(usedBy)}). Delete or move them first, ` +
            "or delete with cascade=true, which archives the workflows and the monitors.",
          usedBy
        })
      }
      const at = yield* now
      const workflowStore = yield* WorkflowStore
      for (const w of workflows) yield* workflowStore.setState(caller.orgId, w.id, "archived", at)
      const rules = [
        ...(yield* deleteRulesOf(caller.orgId, [{ type: "mcp_server", id: serverId }])),
        ...(yield* archiveMonitors(caller.orgId, monitors, at))
      ]
      const store = yield* ServerStore
      const secrets = yield* SecretStore
      const profiles = yield* store.listAuthProfiles(caller.orgId, serverId)
      yield* store.deleteServer(caller.orgId, serverId)
      const refs = [
        ...profiles.flatMap((p) => (p.secretRef === null ? [] : [p.secretRef])),
        ...Object.values(server.env).flatMap((v) =>
          v.startsWith("secret:") ? [v.slice("secret:".length)] : []
        )
      ]
      for (const ref of refs) yield* secrets.delete(caller.orgId, ref)
      return {
        serverId,
        archivedWorkflows: workflows.map((w) => ({ id: w.id, name: w.spec.name })),
        archivedMonitors: monitors.map((m) => ({ id: m.id, name: m.name })),
        deletedAlertRules: rules.map((r) => ({ id: r.id, name: r.name }))
      }
    })
  )
})

/**
 * Deletes one auth profile of a server and its secret. Refused with `conflict` while a monitor
 * or workflow names it (listed in `usedBy`), and for the server's last profile. When the first
 * profile goes, the next one becomes the server's default.
 */
export const removeAuthProfile = Effect.fn("Servers.removeAuthProfile")(function* (
  caller: Caller,
  serverId: string,
  profileId: string
): Effect.fn.Return<
  void,
  ForbiddenRole | NotFound | Conflict | StoreError,
  ServerStore | SecretStore | WorkflowStore | MonitorStore | Transactor
> {
  yield* annotateSpan(caller.orgId, serverId)
  yield* Roles.authorize(caller.actor, "servers.write")
  yield* loadServer(caller.orgId, serverId)
  const tx = yield* Transactor
  yield* tx.withTransaction(
    Effect.gen(function* () {
      const profiles = yield* profilesOf(caller.orgId, serverId)
      const profile = profiles.find((p) => p.id === profileId)
      if (profile === undefined) return yield* profileNotFound(profileId)
      if (profiles.length === 1) {
        return yield* new Conflict({
          message: `"${profile.name}" is the server's only auth profile; a server keeps at least one (add another first).`,
          fieldErrors: [{ field: "profileId", message: "is the server's only auth profile" }]
        })
      }
      const { workflows, monitors } = yield* usersOf(caller.orgId, serverId)
      const usedBy: ReadonlyArray<UsedBy> = [
        ...monitors
          .filter((m) => m.authProfileId === profileId)
          .map((m) => ({ type: "monitor" as const, id: m.id, name: m.name })),
        ...workflows
          .filter((w) => w.spec.authProfileId === profileId)
          .map((w) => ({ type: "workflow" as const, id: w.id, name: w.spec.name }))
      ]
      if (usedBy.length > 0) {
        return yield* new Conflict({
          message: `Auth profile "${profile.name}" is used by ${named(usedBy)}; point them at another profile first.`,
          usedBy
        })
      }
      yield* Effect.flatMap(ServerStore, (s) => s.deleteAuthProfile(caller.orgId, profileId))
      if (profile.secretRef !== null) {
        yield* Effect.flatMap(SecretStore, (s) => s.delete(caller.orgId, profile.secretRef!))
      }
    })
  )
})
