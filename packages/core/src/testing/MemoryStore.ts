/**
 * An in-memory implementation of every storage port, with the same semantics as the PostgreSQL
 * adapter (it passes the same contract suites): for tests and for trying Armature without a
 * database. State lives as long as the layer.
 */
import { Context, Effect, Layer } from "effect"
import { AlertStore } from "../ports/AlertStore.js"
import { AuditLog } from "../ports/AuditLog.js"
import { JobQueue } from "../ports/JobQueue.js"
import { MonitorStore } from "../ports/MonitorStore.js"
import { OrgStore } from "../ports/OrgStore.js"
import { ProposalStore } from "../ports/ProposalStore.js"
import { RunStore } from "../ports/RunStore.js"
import { SecretStore } from "../ports/SecretStore.js"
import { ServerStore } from "../ports/ServerStore.js"
import { SlackInstallations } from "../ports/SlackInstallations.js"
import type { StorePorts } from "../ports/StorePorts.js"
import { Transactor } from "../ports/Transactor.js"
import { UsageStore } from "../ports/UsageStore.js"
import { WorkflowStore } from "../ports/WorkflowStore.js"
import { makeAlertStore } from "./memory/AlertStore.js"
import { makeAuditLog } from "./memory/AuditLog.js"
import { makeJobQueue } from "./memory/JobQueue.js"
import { makeMonitorStore } from "./memory/MonitorStore.js"
import { makeOrgStore } from "./memory/OrgStore.js"
import { makeProposalStore } from "./memory/ProposalStore.js"
import { makeRunStore } from "./memory/RunStore.js"
import { makeSecretStore } from "./memory/SecretStore.js"
import { makeServerStore } from "./memory/ServerStore.js"
import { makeSlackInstallations } from "./memory/SlackInstallations.js"
import { makeDb } from "./memory/Tables.js"
import { makeUsageStore } from "./memory/UsageStore.js"
import { makeWorkflowStore } from "./memory/WorkflowStore.js"

export type { StorePorts }

/** Builds a fresh, empty store: every port over one shared state. */
export const make: Effect.Effect<Context.Context<StorePorts>> = Effect.map(makeDb, (db) => {
  const secrets = makeSecretStore(db)
  return Context.make(OrgStore, makeOrgStore(db)).pipe(
    Context.add(ServerStore, makeServerStore(db)),
    Context.add(WorkflowStore, makeWorkflowStore(db)),
    Context.add(RunStore, makeRunStore(db)),
    Context.add(MonitorStore, makeMonitorStore(db)),
    Context.add(AlertStore, makeAlertStore(db)),
    Context.add(ProposalStore, makeProposalStore(db)),
    Context.add(JobQueue, makeJobQueue(db)),
    Context.add(AuditLog, makeAuditLog(db)),
    Context.add(SecretStore, secrets),
    Context.add(SlackInstallations, makeSlackInstallations(db, secrets)),
    Context.add(Transactor, { withTransaction: db.transaction }),
    Context.add(UsageStore, makeUsageStore(db))
  )
})

/** Every storage port, in memory; each build of the layer starts empty. */
export const layer: Layer.Layer<StorePorts> = Layer.effectContext(make)
