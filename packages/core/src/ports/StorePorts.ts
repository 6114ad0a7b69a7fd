import type { AlertStore } from "./AlertStore.js"
import type { AuditLog } from "./AuditLog.js"
import type { JobQueue } from "./JobQueue.js"
import type { MonitorStore } from "./MonitorStore.js"
import type { OrgStore } from "./OrgStore.js"
import type { ProposalStore } from "./ProposalStore.js"
import type { RunStore } from "./RunStore.js"
import type { SecretStore } from "./SecretStore.js"
import type { ServerStore } from "./ServerStore.js"
import type { SlackInstallations } from "./SlackInstallations.js"
import type { Transactor } from "./Transactor.js"
import type { UsageStore } from "./UsageStore.js"
import type { WorkflowStore } from "./WorkflowStore.js"

/** Every service a store adapter provides from its one layer (`MemoryStore.layer`, `PgStore.layer`). */
export type StorePorts =
  | OrgStore
  | ServerStore
  | WorkflowStore
  | RunStore
  | MonitorStore
  | AlertStore
  | ProposalStore
  | JobQueue
  | AuditLog
  | Transactor
  | SecretStore
  | SlackInstallations
  | UsageStore
