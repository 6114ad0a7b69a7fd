/**
 * @armature/core — the domain, ports and use cases of Armature. Owns no I/O: storage, models,
 * MCP connections and alert delivery are ports (`Context.Tag`s) implemented by adapters. The
 * in-memory adapters and the contract suites every adapter passes are in `@armature/core/testing`.
 */

// Domain: Armature's records as `Schema`s (servers, workflows, runs, monitors, alerts, …).

export * from "./domain/Alert.js"
export * from "./domain/Audit.js"
export * from "./domain/Catalog.js"
export * from "./domain/Common.js"
export * from "./domain/McpServer.js"
export * from "./domain/Monitor.js"
export * from "./domain/MonitorAssertion.js"
export * from "./domain/Organization.js"
export * from "./domain/Proposal.js"
export * from "./domain/Run.js"
export * from "./domain/Slack.js"
export * from "./domain/Workflow.js"

// Errors: the one error vocabulary (`ApiError`, each with its code), the store's error, the wire body.

export * from "./Errors.js"

// Ports: the services adapters implement (storage, language models, MCP, alert sinks, secrets, ids).

export * from "./ports/AddressGuard.js"
export * from "./ports/AlertSink.js"
export * from "./ports/AlertStore.js"
export * from "./ports/AuditLog.js"
export * from "./ports/Billing.js"
export * from "./ports/EmailSender.js"
export * as IdsLayer from "./ports/Ids.js"
export { Ids } from "./ports/Ids.js"
export * from "./ports/JobQueue.js"
export * from "./ports/LanguageModels.js"
export * from "./ports/McpConnector.js"
export * from "./ports/MonitorStore.js"
export * from "./ports/OrgStore.js"
export type { PageQuery } from "./ports/Page.js"
export * from "./ports/ProposalNotices.js"
export * from "./ports/ProposalStore.js"
export * from "./ports/RunStore.js"
export * from "./ports/SecretStore.js"
export * from "./ports/ServerStore.js"
export * from "./ports/SlackInstallations.js"
export type { StorePorts } from "./ports/StorePorts.js"
export * from "./ports/Transactor.js"
export * from "./ports/UsageStore.js"
export * from "./ports/WorkflowStore.js"

// Use cases: what the interfaces and the server's loops call; they read and write through the ports.

export * as AlertDeliveries from "./AlertDeliveries.js"
export * as Alerting from "./Alerting.js"
export * as ApiKeys from "./ApiKeys.js"
export * as Audit from "./Audit.js"
export * as ConfigApply from "./ConfigApply.js"
export * as Coverage from "./Coverage.js"
export * as Monitors from "./Monitors.js"
export * as OrganizationHealth from "./OrganizationHealth.js"
export * as Plans from "./Plans.js"
export * as Proposals from "./Proposals.js"
export * as RunComparison from "./RunComparison.js"
export * as RunDiagnosis from "./RunDiagnosis.js"
export * as Runs from "./Runs.js"
export * as Scheduler from "./Scheduler.js"
export * as Servers from "./Servers.js"
export * as SlackInstalls from "./SlackInstalls.js"
export * as Team from "./Team.js"
export * as Workflows from "./Workflows.js"

// Rules: pure logic over the domain, no ports (grading, drift, schedules, roles, policies, parsing).

export * as Assertions from "./Assertions.js"
export * as Catalogs from "./Catalogs.js"
export * as ConfigFile from "./ConfigFile.js"
export * as Drift from "./Drift.js"
export * as Grading from "./Grading.js"
export * as Poisoning from "./Poisoning.js"
export * as Roles from "./Roles.js"
export * as RunIds from "./RunIds.js"
export * as Schedules from "./Schedules.js"
export * as ToolPolicy from "./ToolPolicy.js"

// Edge checks every interface shares: input validation, pagination, redaction, the per-key rate limit.

export * as Pages from "./Pages.js"
export * as RateLimits from "./RateLimits.js"
export * as Redaction from "./Redaction.js"
export * as Validation from "./Validation.js"
