/**
 * The storage contract: what every store adapter must do, as tests. An adapter proves itself by
 * running `storeContract("PgStore", PgStore.layer(...))` in its own test file. Every test uses
 * fresh ids and organizations, so the suites can share a database and need no cleanup.
 */
import { describe, type Vitest, layer as withLayer } from "@effect/vitest"
import type { Layer } from "effect"
import type { StorePorts } from "../../ports/StorePorts.js"
import { alertStoreSuite } from "./AlertStoreContract.js"
import { auditLogSuite } from "./AuditLogContract.js"
import { jobQueueSuite } from "./JobQueueContract.js"
import { monitorStoreSuite } from "./MonitorStoreContract.js"
import { orgStoreSuite } from "./OrgStoreContract.js"
import { proposalStoreSuite } from "./ProposalStoreContract.js"
import { runStoreSuite } from "./RunStoreContract.js"
import { secretStoreSuite } from "./SecretStoreContract.js"
import { serverStoreSuite } from "./ServerStoreContract.js"
import { slackInstallationsSuite } from "./SlackInstallationsContract.js"
import { transactorSuite } from "./TransactorContract.js"
import { usageStoreSuite } from "./UsageStoreContract.js"
import { workflowStoreSuite } from "./WorkflowStoreContract.js"

export type { StorePorts }

/** Registers tests against an adapter's store services (the layer is built once per suite). */
export type Suite = (it: Vitest.MethodsNonLive<StorePorts>) => void

/** Every port's suite, by port name. */
export const suites: Readonly<Record<string, Suite>> = {
  OrgStore: orgStoreSuite,
  ServerStore: serverStoreSuite,
  WorkflowStore: workflowStoreSuite,
  RunStore: runStoreSuite,
  MonitorStore: monitorStoreSuite,
  AlertStore: alertStoreSuite,
  ProposalStore: proposalStoreSuite,
  JobQueue: jobQueueSuite,
  AuditLog: auditLogSuite,
  SecretStore: secretStoreSuite,
  SlackInstallations: slackInstallationsSuite,
  Transactor: transactorSuite,
  UsageStore: usageStoreSuite
}

const contractOf =
  (suite: Suite) =>
  (name: string, layer: Layer.Layer<StorePorts, unknown>): void =>
    withLayer(layer)(name, suite)

/** Runs the whole storage contract against `layer`. */
export const storeContract = (name: string, layer: Layer.Layer<StorePorts, unknown>): void =>
  withLayer(layer)(name, (it) => {
    for (const [port, suite] of Object.entries(suites)) describe(port, () => suite(it))
  })

/** The `OrgStore` contract alone. */
export const orgStoreContract = contractOf(orgStoreSuite)
/** The `ServerStore` contract alone. */
export const serverStoreContract = contractOf(serverStoreSuite)
/** The `WorkflowStore` contract alone. */
export const workflowStoreContract = contractOf(workflowStoreSuite)
/** The `RunStore` contract alone. */
export const runStoreContract = contractOf(runStoreSuite)
/** The `MonitorStore` contract alone. */
export const monitorStoreContract = contractOf(monitorStoreSuite)
/** The `AlertStore` contract alone. */
export const alertStoreContract = contractOf(alertStoreSuite)
/** The `ProposalStore` contract alone. */
export const proposalStoreContract = contractOf(proposalStoreSuite)
/** The `JobQueue` contract alone. */
export const jobQueueContract = contractOf(jobQueueSuite)
/** The `AuditLog` contract alone. */
export const auditLogContract = contractOf(auditLogSuite)
/** The `SecretStore` contract alone. */
export const secretStoreContract = contractOf(secretStoreSuite)
/** The `SlackInstallations` contract alone. */
export const slackInstallationsContract = contractOf(slackInstallationsSuite)
/** The `Transactor` contract alone. */
export const transactorContract = contractOf(transactorSuite)
/** The `UsageStore` contract alone. */
export const usageStoreContract = contractOf(usageStoreSuite)

export {
  alertStoreSuite,
  auditLogSuite,
  jobQueueSuite,
  monitorStoreSuite,
  orgStoreSuite,
  proposalStoreSuite,
  runStoreSuite,
  secretStoreSuite,
  serverStoreSuite,
  slackInstallationsSuite,
  transactorSuite,
  usageStoreSuite,
  workflowStoreSuite
}
