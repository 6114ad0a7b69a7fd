/**
 * Wire schemas of the REST API that core does not already define: response envelopes of the
 * use cases (a saved workflow with its warnings, a registered server with its probe outcome) and
 * the query parameters of list endpoints. Query parameters stay strings here and are checked by
 * the handlers, so a bad one is reported as `validation_failed` naming the parameter.
 */
import {
  AlertRule,
  ApiKeys,
  AssertionResult,
  CatalogDiff,
  CatalogVersion,
  Coverage,
  Criterion,
  CriterionResult,
  Invitation,
  McpServer,
  Member,
  Monitor,
  MonitorStats,
  Role,
  RunError,
  RunStatus,
  RunSummary,
  ServerInfo,
  Servers,
  ServerUnreachable,
  ToolCall,
  TraceEvent,
  Verdict,
  Workflow,
  WorkflowSpec
} from "@armature/core"
import { Schema } from "effect"

/**
 * A path or query parameter. NUL (`%00`) is never part of a meaningful value and PostgreSQL text
 * cannot hold it, so it is refused here, naming the parameter.
 */
export const Param = Schema.String.pipe(
  Schema.filter((s) => !s.includes("\u0000"), { message: () => "must not contain NUL characters (%00)" })
)

export const IdPath = Schema.Struct({ id: Param })
export const ProfilePath = Schema.Struct({ id: Param, profileId: Param })

/** A page of a keyset-paginated list: follow `nextCursor` until it is `null`. */
export const page = <A, I>(item: Schema.Schema<A, I>) =>
  Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })

/** The pages the hot reads answer with, named so the endpoint and its `respondWith` share one schema. */
export const MonitorPage = page(Monitor)
export const RunPage = page(RunSummary)

/** `limit` (1–500, default 100) and `cursor` (a page's `nextCursor`) of a paginated list. */
export const PageParams = Schema.Struct({ limit: Schema.optional(Param), cursor: Schema.optional(Param) })

/** An unpaginated list. */
export const list = <A, I>(item: Schema.Schema<A, I>) => Schema.Struct({ items: Schema.Array(item) })

export const Actor = Schema.Struct({
  keyId: Schema.NullOr(Schema.String),
  keyName: Schema.NullOr(Schema.String),
  memberId: Schema.NullOr(Schema.String),
  member: Schema.NullOr(Schema.Struct({ id: Schema.String, email: Schema.String, name: Schema.String })),
  role: Role
})

/** Outcome of the live probe made when a server is registered (SPEC §2). */
export const ProbeOutcome = Schema.Struct({
  ok: Schema.Boolean,
  error: Schema.optional(Schema.Struct({ reason: ServerUnreachable.fields.reason, message: Schema.String }))
})

export const CatalogSummary = Schema.Struct({
  version: Schema.Int,
  hash: Schema.String,
  serverInfo: ServerInfo,
  protocolVersion: Schema.String,
  toolCount: Schema.Int,
  createdAt: Schema.Date
})

export const RegisteredServer = Schema.Struct({
  server: McpServer,
  authProfiles: Schema.Array(Servers.AuthProfileView),
  probe: ProbeOutcome,
  catalog: Schema.optional(CatalogSummary)
})

/** `DELETE /mcp-servers/{id}`: `cascade=true` archives the server's workflows and deletes its monitors. */
export const ServerDeleteParams = Schema.Struct({ cascade: Schema.optional(Param) })

/** `POST /mcp-servers/{id}/probe`: probe with this profile of the server instead of its default. */
export const ProbeBody = Schema.Struct({ authProfileId: Schema.optional(Schema.String) })

export const ProbeResult = Schema.Struct({ server: McpServer, probe: ProbeOutcome })

export const ServerDetail = Schema.Struct({
  server: McpServer,
  authProfiles: Schema.Array(Servers.AuthProfileView),
  catalog: Schema.NullOr(CatalogSummary)
})

/** Core's result, `restoredVersion` included: REST and the MCP API answer a sync alike. */
export const SyncResult = Servers.SyncResult

export const CatalogHistory = Schema.Struct({
  latest: Schema.NullOr(CatalogVersion),
  history: Schema.Array(Schema.Struct({ ...CatalogSummary.fields, diff: Schema.NullOr(CatalogDiff) }))
})

export const CoverageReport = Coverage.CoverageReport

/** A workflow as a create or edit left it, with the warnings of its validation. */
/**
 * A workflow spec as clients send it: core numbers criteria given without an `id` (`c1`, `c2`, …),
 * so the wire form lets it be left out.
 */
export const WorkflowSpecBody = Schema.Struct({
  ...WorkflowSpec.fields,
  criteria: Schema.Array(
    Schema.Struct({ ...Criterion.fields, id: Schema.optional(Criterion.fields.id) })
  ).pipe(Schema.minItems(1))
})

export const SavedWorkflow = Schema.extend(Workflow, Schema.Struct({ warnings: Schema.Array(Schema.String) }))

/** `GET /workflows/{id}`: the workflow, its schedule in words and its next fire times (none without a schedule or while paused). */
export const WorkflowDetail = Schema.extend(
  Workflow,
  Schema.Struct({ scheduleLabel: Schema.String, nextFires: Schema.Array(Schema.Date) })
)

/** `GET /mcp-servers/{id}/monitor-suggestions`: a monitor that can be created as is (`POST /monitors`). */
export const MonitorSuggestion = Schema.Struct({
  name: Schema.String,
  mcpServerId: Schema.String,
  authProfileId: Schema.NullOr(Schema.String),
  toolName: Schema.String,
  arguments: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  intervalSeconds: Schema.Int,
  reason: Schema.String
})

export const WorkflowListParams = Schema.Struct({
  mcpServerId: Schema.optional(Param),
  state: Schema.optional(Param),
  ...PageParams.fields
})

/** Body of `POST /workflows/{id}/runs`; the workflow comes from the path. */
export const DispatchBody = Schema.Struct({
  idempotencyKey: Schema.optional(Schema.NullOr(Schema.String)),
  reason: Schema.optional(Schema.NullOr(Schema.String)),
  baselineRunId: Schema.optional(Schema.NullOr(Schema.String)),
  testerModel: Schema.optional(Schema.String),
  trigger: Schema.optional(Schema.Literal("manual", "api", "ci")),
  samples: Schema.optional(Schema.Int),
  forceNewRun: Schema.optional(Schema.Boolean),
  /** One run (or sample group) per tester model of the workflow; not together with `testerModel`. */
  allModels: Schema.optional(Schema.Boolean)
})

export const Dispatched = Schema.Struct({
  run: RunSummary,
  /** False when an earlier dispatch with the same reason and idempotency key made this run. */
  created: Schema.Boolean,
  /** Every run of the dispatch: each sample, and with `allModels` each model's runs. */
  runs: Schema.Array(RunSummary),
  /** The sample group of `run`; with `allModels` every model's samples form a group of their own. */
  sampleGroupId: Schema.NullOr(Schema.String)
})

export const RunListParams = Schema.Struct({
  /** `24h`, `7d` or `30d`: runs started in that window (sets `after`). */
  range: Schema.optional(Param),
  workflowId: Schema.optional(Param),
  mcpServerId: Schema.optional(Param),
  status: Schema.optional(Param),
  search: Schema.optional(Param),
  limit: Schema.optional(Param),
  cursor: Schema.optional(Param),
  before: Schema.optional(Param),
  after: Schema.optional(Param)
})

export const RunTrace = Schema.Struct({
  runId: Schema.String,
  status: RunStatus,
  toolCalls: Schema.Array(ToolCall),
  trace: Schema.Array(TraceEvent),
  finalAnswer: Schema.NullOr(Schema.String)
})

/** `GET /runs/{id}/evaluation`: the judge's verdicts per criterion and the assertion results. */
export const RunEvaluation = Schema.Struct({
  runId: Schema.String,
  /** The roll-up over the required criteria and assertions (SPEC §3.2). */
  status: RunStatus,
  judgeModel: Schema.String,
  criteria: Schema.Array(CriterionResult),
  assertions: Schema.Array(AssertionResult),
  /** Why an `error` run could not complete. */
  error: Schema.NullOr(RunError)
})

/** `GET /runs/{id}/tool-calls`: the recorded calls in order (setup, agent, teardown). */
export const RunToolCalls = Schema.Struct({
  runId: Schema.String,
  status: RunStatus,
  items: Schema.Array(ToolCall)
})

/** `GET /runs/{id}/samples`: the multi-sample result of the dispatch the run belongs to (SPEC §3.4). */
export const RunSamples = Schema.Struct({
  /** `null` for a run dispatched alone: the result is that of a group of one. */
  sampleGroupId: Schema.NullOr(Schema.String),
  /** `running` while any sample is not terminal; otherwise the roll-up over the graded samples. */
  status: RunStatus,
  /** Share of passing samples among the graded ones (`error` excluded); `null` before any. */
  passRate: Schema.NullOr(Schema.Number),
  sampleCount: Schema.Int,
  /** Criteria whose verdict differed across the samples, with each graded sample's verdict. */
  flaky: Schema.Array(
    Schema.Struct({ criterionId: Schema.String, text: Schema.String, verdicts: Schema.Array(Verdict) })
  ),
  runs: Schema.Array(RunSummary)
})

/** `POST /runs/{id}/replay`: each recorded call made again against the server, compared with the recording. */
export const ReplayResult = Schema.Struct({
  runId: Schema.String,
  serverInfo: ServerInfo,
  calls: Schema.Array(
    Schema.Struct({
      toolCallId: Schema.String,
      name: Schema.String,
      phase: ToolCall.fields.phase,
      /** `same`: no structural change; `changed`: see `changes`; `error`: the call failed now. */
      status: Schema.Literal("same", "changed", "error"),
      changes: Schema.Array(
        Schema.Struct({
          /** JSONPath-like location, such as `$.content[0].text.status`. */
          path: Schema.String,
          kind: Schema.Literal("added", "removed", "changed"),
          before: Schema.optional(Schema.Unknown),
          after: Schema.optional(Schema.Unknown)
        })
      ),
      error: Schema.NullOr(Schema.String),
      durationMs: Schema.Number
    })
  ),
  changed: Schema.Int,
  errors: Schema.Int,
  /** True when every call gave the same result as recorded. */
  identical: Schema.Boolean
})

export const MonitorListParams = Schema.Struct({
  mcpServerId: Schema.optional(Param),
  state: Schema.optional(Param),
  ...PageParams.fields
})

export const CheckParams = Schema.Struct({
  limit: Schema.optional(Param),
  since: Schema.optional(Param)
})

export { MonitorStats }

/** An alert rule with its status line (`Watching — never fired`, `Firing since …`). */
export const AlertRuleView = Schema.extend(AlertRule, Schema.Struct({ status: Schema.String }))

/** Both or neither: the rules of one target. */
export const AlertRuleListParams = Schema.Struct({
  targetType: Schema.optional(Param),
  targetId: Schema.optional(Param)
})

/** `POST /alert-rules/{id}/test`: what the destination did with the test message. */
export const AlertTestResult = Schema.Union(
  Schema.Struct({ delivered: Schema.Literal(true) }),
  Schema.Struct({ delivered: Schema.Literal(false), error: Schema.String, retryable: Schema.Boolean })
)

export const DeliveryListParams = Schema.Struct({
  status: Schema.optional(Param),
  ruleId: Schema.optional(Param),
  limit: Schema.optional(Param),
  cursor: Schema.optional(Param)
})

export const AuditListParams = Schema.Struct({
  action: Schema.optional(Param),
  keyId: Schema.optional(Param),
  limit: Schema.optional(Param),
  cursor: Schema.optional(Param)
})

/** A one-time Slack install link: its URL carries the secret and is shown this once. */
export const SlackInstallLinkCreated = Schema.Struct({ url: Schema.String, expiresAt: Schema.Date })

/** The body of `POST /slack/install-links` (optional): minutes until the link expires, 5–10080 (default 60). */
export const SlackInstallLinkBody = Schema.Struct({ expiresInMinutes: Schema.optional(Schema.Int) })

/** The connected Slack workspace (never the bot token), and whether this server can install the app. */
export const SlackConnection = Schema.Struct({
  installable: Schema.Boolean,
  installation: Schema.NullOr(
    Schema.Struct({
      teamId: Schema.String,
      teamName: Schema.String,
      botUserId: Schema.String,
      scopes: Schema.Array(Schema.String),
      installedAt: Schema.Date,
      /** Where agents' staged workflow changes are posted for approval; null: not posted. */
      proposalsChannel: Schema.NullOr(Schema.String)
    })
  )
})

/** The body of `PUT /slack/proposals-channel`: a channel id (`C…`), or null to stop posting proposals. */
export const ProposalsChannelBody = Schema.Struct({ channel: Schema.Unknown })

/** `POST /api-keys`: a name, and a role up to the caller's own (default: the caller's). */
export const KeyInput = Schema.Struct({ name: Schema.String, role: Schema.optional(Role) })

/** A new key with its token, shown this once. */
export const CreatedKey = Schema.Struct({ key: ApiKeys.ApiKeyView, token: Schema.String })

/** `PATCH /members/{id}`: the member's new role (never `owner`). */
export const RoleChange = Schema.Struct({ role: Schema.Literal("viewer", "editor", "admin") })

/** `POST /members/{id}/transfer-ownership`: the new owner, and the previous one (now an admin). */
export const OwnershipTransferred = Schema.Struct({ owner: Member, previousOwner: Member })

/** A pending invitation as lists show it (never the token or its hash). */
export const InvitationView = Invitation.pipe(Schema.omit("tokenHash"))

/** `POST /invitations`: the invitation, its token and accept link (shown once), and the email's fate. */
export const InvitationCreated = Schema.Struct({
  invitation: InvitationView,
  token: Schema.String,
  link: Schema.String,
  email: Schema.NullOr(
    Schema.Union(
      Schema.Struct({ sent: Schema.Literal(true) }),
      Schema.Struct({ sent: Schema.Literal(false), error: Schema.String })
    )
  )
})

/** `POST /invitations/accept`: the token from the link, and who accepts. */
export const AcceptInput = Schema.Struct({ token: Schema.String, email: Schema.String, name: Schema.String })

/** The new member and their personal API key, shown once. */
export const Accepted = Schema.Struct({
  organizationId: Schema.String,
  member: Member,
  key: ApiKeys.ApiKeyView,
  token: Schema.String
})
