import type { AlertStore } from "../ports/AlertStore.js"
import type { AuditLog } from "../ports/AuditLog.js"
import type { JobQueue } from "../ports/JobQueue.js"
import type { MonitorStore } from "../ports/MonitorStore.js"
import type { OrgStore } from "../ports/OrgStore.js"
import type { ProposalStore } from "../ports/ProposalStore.js"
import type { RunStore } from "../ports/RunStore.js"
import type { SecretStore } from "../ports/SecretStore.js"
import type { ServerStore } from "../ports/ServerStore.js"
import type { Transactor } from "../ports/Transactor.js"
import type { WorkflowStore } from "../ports/WorkflowStore.js"

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
