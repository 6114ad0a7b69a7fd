import {
  AlertDeliveries,
  Alerting,
  ApiKeys,
  Audit,
  type Caller,
  McpServer,
  Member,
  Monitor,
  MonitorCheck,
  MonitorSpec,
  Organization,
  Plans,
  Run,
  Servers,
  Team,
  Workflow,
  WorkflowVersion
} from "@armature/core"
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSecurity,
  OpenApi
} from "@effect/platform"
import { Context, Schema } from "effect"
import * as S from "./ApiSchemas.js"
import * as HttpErrors from "./HttpErrors.js"

/** The authenticated caller of a request, provided by the `Authentication` middleware. */
export class CurrentCaller extends Context.Tag("@armature/server/CurrentCaller")<CurrentCaller, Caller>() {}

/**
 * API keys travel as `Authorization: Bearer amt_<keyId>_<secret>`. Attached to every group rather
 * than to the API: API-level middleware wraps the whole router, so it would also guard
 * `/healthz`, `/metrics` and the OpenAPI document served beside the API.
 */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("Authentication", {
  provides: CurrentCaller,
  // Too many failures from one address is a 429; a store failure while checking the key a 503
  // or 500, not a 401.
  // A write in a read-only workspace (lapsed subscription) is a 403 `read_only_workspace`.
  failure: Schema.Union(
    HttpErrors.Unauthorized,
    HttpErrors.Forbidden,
    HttpErrors.TooManyRequests,
    HttpErrors.ServerError,
    HttpErrors.ServiceUnavailable
  ),
  security: { apiKey: HttpApiSecurity.bearer }
}) {}

/**
 * A request body as clients send it: the wire form of core's schema, so the typed client and the
 * OpenAPI document describe it exactly. The server does not decode it with this schema: handlers
 * read bodies raw (`handleRaw`) and hand them to core, the one validation path for REST, the MCP
 * API and config files, which names every bad field and refuses unknown ones instead of dropping
 * them.
 */
const body = <A, I>(schema: Schema.Schema<A, I>, identifier: string) =>
  Schema.encodedSchema(schema).annotations({ identifier })

const org = HttpApiGroup.make("org")
  .add(
    HttpApiEndpoint.get("get", "/org").addSuccess(
      Schema.Struct({ organization: Organization, actor: S.Actor })
    )
  )
  .add(HttpApiEndpoint.get("audit", "/audit").setUrlParams(S.AuditListParams).addSuccess(Audit.Page))
  .middleware(Authentication)

const servers = HttpApiGroup.make("servers")
  .add(
    HttpApiEndpoint.post("create", "/mcp-servers")
      .setPayload(body(Servers.RegisterInput, "McpServerInput"))
      .addSuccess(S.RegisteredServer, { status: 201 })
  )
  .add(HttpApiEndpoint.get("list", "/mcp-servers").setUrlParams(S.PageParams).addSuccess(S.page(McpServer)))
  .add(HttpApiEndpoint.get("get", "/mcp-servers/:id").setPath(S.IdPath).addSuccess(S.ServerDetail))
  .add(
    HttpApiEndpoint.patch("update", "/mcp-servers/:id")
      .setPath(S.IdPath)
      .setPayload(body(Servers.UpdateInput, "McpServerUpdate"))
      .addSuccess(S.ProbeResult)
  )
  // Refused (409, `usedBy`) while monitors or workflows use it, unless `cascade=true`.
  .add(
    HttpApiEndpoint.del("delete", "/mcp-servers/:id")
      .setPath(S.IdPath)
      .setUrlParams(S.ServerDeleteParams)
      .addSuccess(Servers.Deleted)
  )
  .add(
    HttpApiEndpoint.get("listAuthProfiles", "/mcp-servers/:id/auth-profiles")
      .setPath(S.IdPath)
      .addSuccess(S.list(Servers.AuthProfileView))
  )
  .add(
    HttpApiEndpoint.get("monitorSuggestions", "/mcp-servers/:id/monitor-suggestions")
      .setPath(S.IdPath)
      .addSuccess(S.list(S.MonitorSuggestion))
  )
  .add(
    HttpApiEndpoint.post("probe", "/mcp-servers/:id/probe")
      .setPath(S.IdPath)
      .setPayload(body(S.ProbeBody, "ProbeRequest"))
      .addSuccess(S.ProbeResult)
  )
  .add(HttpApiEndpoint.post("sync", "/mcp-servers/:id/sync").setPath(S.IdPath).addSuccess(S.SyncResult))
  .add(
    HttpApiEndpoint.post("addAuthProfile", "/mcp-servers/:id/auth-profiles")
      .setPath(S.IdPath)
      .setPayload(body(Servers.AuthProfileInput, "AuthProfileInput"))
      .addSuccess(Servers.AuthProfileView, { status: 201 })
  )
  // No success schema: 204 No Content.
  .add(
    HttpApiEndpoint.del("deleteAuthProfile", "/mcp-servers/:id/auth-profiles/:profileId").setPath(
      S.ProfilePath
    )
  )
  .add(
    HttpApiEndpoint.put("replaceAuthProfileSecret", "/mcp-servers/:id/auth-profiles/:profileId/secret")
      .setPath(S.ProfilePath)
      .setPayload(body(Servers.SecretInput, "AuthProfileSecret"))
      .addSuccess(Servers.AuthProfileView)
  )
  .add(
    HttpApiEndpoint.get("catalog", "/mcp-servers/:id/catalog")
      .setPath(S.IdPath)
      .setUrlParams(Schema.Struct({ limit: Schema.optional(S.Param) }))
      .addSuccess(S.CatalogHistory)
  )
  .add(
    HttpApiEndpoint.get("coverage", "/mcp-servers/:id/coverage")
      .setPath(S.IdPath)
      .addSuccess(S.CoverageReport)
  )
  .middleware(Authentication)

const workflows = HttpApiGroup.make("workflows")
  .add(
    HttpApiEndpoint.post("create", "/workflows")
      .setPayload(body(S.WorkflowSpecBody, "WorkflowSpec"))
      .addSuccess(S.SavedWorkflow, { status: 201 })
  )
  .add(
    HttpApiEndpoint.patch("update", "/workflows/:id")
      .setPath(S.IdPath)
      .setPayload(
        body(
          Schema.extend(
            Schema.partial(Schema.encodedSchema(S.WorkflowSpecBody)),
            // Fails with `version_conflict` unless this is still the current version.
            Schema.Struct({ expectedVersionId: Schema.optional(Schema.String) })
          ),
          "WorkflowUpdate"
        )
      )
      .addSuccess(S.SavedWorkflow)
  )
  .add(
    HttpApiEndpoint.get("list", "/workflows").setUrlParams(S.WorkflowListParams).addSuccess(S.page(Workflow))
  )
  .add(HttpApiEndpoint.get("get", "/workflows/:id").setPath(S.IdPath).addSuccess(S.WorkflowDetail))
  .add(HttpApiEndpoint.post("pause", "/workflows/:id/pause").setPath(S.IdPath).addSuccess(Workflow))
  .add(HttpApiEndpoint.post("resume", "/workflows/:id/resume").setPath(S.IdPath).addSuccess(Workflow))
  .add(HttpApiEndpoint.del("delete", "/workflows/:id").setPath(S.IdPath))
  .add(
    HttpApiEndpoint.get("versions", "/workflows/:id/versions")
      .setPath(S.IdPath)
      .addSuccess(S.list(WorkflowVersion))
  )
  .add(
    HttpApiEndpoint.post("dispatch", "/workflows/:id/runs")
      .setPath(S.IdPath)
      .setPayload(body(S.DispatchBody, "RunDispatch"))
      .addSuccess(S.Dispatched, { status: 202 })
  )
  .middleware(Authentication)

const runs = HttpApiGroup.make("runs")
  .add(HttpApiEndpoint.get("list", "/runs").setUrlParams(S.RunListParams).addSuccess(S.RunPage))
  .add(HttpApiEndpoint.get("get", "/runs/:id").setPath(S.IdPath).addSuccess(Run))
  .add(HttpApiEndpoint.get("trace", "/runs/:id/trace").setPath(S.IdPath).addSuccess(S.RunTrace))
  .add(
    HttpApiEndpoint.get("evaluation", "/runs/:id/evaluation").setPath(S.IdPath).addSuccess(S.RunEvaluation)
  )
  .add(HttpApiEndpoint.get("toolCalls", "/runs/:id/tool-calls").setPath(S.IdPath).addSuccess(S.RunToolCalls))
  .add(HttpApiEndpoint.get("samples", "/runs/:id/samples").setPath(S.IdPath).addSuccess(S.RunSamples))
  // Re-executes the recorded calls now (SPEC §3.5): editor+, like dispatching a run.
  .add(HttpApiEndpoint.post("replay", "/runs/:id/replay").setPath(S.IdPath).addSuccess(S.ReplayResult))
  .middleware(Authentication)

const monitors = HttpApiGroup.make("monitors")
  .add(
    HttpApiEndpoint.post("create", "/monitors")
      .setPayload(body(MonitorSpec, "MonitorSpec"))
      .addSuccess(Monitor, { status: 201 })
  )
  .add(HttpApiEndpoint.get("list", "/monitors").setUrlParams(S.MonitorListParams).addSuccess(S.MonitorPage))
  .add(HttpApiEndpoint.get("get", "/monitors/:id").setPath(S.IdPath).addSuccess(Monitor))
  .add(
    HttpApiEndpoint.patch("update", "/monitors/:id")
      .setPath(S.IdPath)
      .setPayload(body(Schema.partial(Schema.encodedSchema(MonitorSpec)), "MonitorUpdate"))
      .addSuccess(Monitor)
  )
  .add(HttpApiEndpoint.post("pause", "/monitors/:id/pause").setPath(S.IdPath).addSuccess(Monitor))
  .add(HttpApiEndpoint.post("resume", "/monitors/:id/resume").setPath(S.IdPath).addSuccess(Monitor))
  .add(HttpApiEndpoint.post("mute", "/monitors/:id/mute").setPath(S.IdPath).addSuccess(Monitor))
  .add(HttpApiEndpoint.post("unmute", "/monitors/:id/unmute").setPath(S.IdPath).addSuccess(Monitor))
  .add(HttpApiEndpoint.del("delete", "/monitors/:id").setPath(S.IdPath))
  .add(
    HttpApiEndpoint.get("checks", "/monitors/:id/checks")
      .setPath(S.IdPath)
      .setUrlParams(S.CheckParams)
      .addSuccess(Schema.Struct({ items: Schema.Array(MonitorCheck), stats: Schema.Array(S.MonitorStats) }))
  )
  .middleware(Authentication)

const alerts = HttpApiGroup.make("alerts")
  .add(
    HttpApiEndpoint.get("listRules", "/alert-rules")
      .setUrlParams(S.AlertRuleListParams)
      .addSuccess(S.list(S.AlertRuleView))
  )
  .add(
    HttpApiEndpoint.post("createRule", "/alert-rules")
      .setPayload(body(Alerting.RuleInput, "AlertRuleInput"))
      .addSuccess(S.AlertRuleView, { status: 201 })
  )
  .add(HttpApiEndpoint.get("getRule", "/alert-rules/:id").setPath(S.IdPath).addSuccess(S.AlertRuleView))
  .add(
    HttpApiEndpoint.patch("updateRule", "/alert-rules/:id")
      .setPath(S.IdPath)
      .setPayload(body(Schema.partial(Schema.encodedSchema(Alerting.RuleInput)), "AlertRuleUpdate"))
      .addSuccess(S.AlertRuleView)
  )
  // No success schema: 204 No Content.
  .add(HttpApiEndpoint.del("deleteRule", "/alert-rules/:id").setPath(S.IdPath))
  .add(
    HttpApiEndpoint.post("testRule", "/alert-rules/:id/test").setPath(S.IdPath).addSuccess(S.AlertTestResult)
  )
  .add(
    HttpApiEndpoint.get("deliveries", "/alerts")
      .setUrlParams(S.DeliveryListParams)
      .addSuccess(S.page(AlertDeliveries.DeliveryView))
  )
  .middleware(Authentication)

const team = HttpApiGroup.make("team")
  .add(
    HttpApiEndpoint.post("createKey", "/api-keys")
      .setPayload(body(S.KeyInput, "ApiKeyInput"))
      .addSuccess(S.CreatedKey, { status: 201 })
  )
  .add(
    HttpApiEndpoint.get("listKeys", "/api-keys")
      .setUrlParams(S.PageParams)
      .addSuccess(S.page(ApiKeys.ApiKeyView))
  )
  .add(HttpApiEndpoint.del("revokeKey", "/api-keys/:id").setPath(S.IdPath))
  .add(HttpApiEndpoint.get("listMembers", "/members").setUrlParams(S.PageParams).addSuccess(S.page(Member)))
  .add(
    HttpApiEndpoint.patch("changeRole", "/members/:id")
      .setPath(S.IdPath)
      .setPayload(body(S.RoleChange, "MemberRoleChange"))
      .addSuccess(Member)
  )
  .add(HttpApiEndpoint.del("removeMember", "/members/:id").setPath(S.IdPath))
  // The owner hands the organization to this member and becomes an admin.
  .add(
    HttpApiEndpoint.post("transferOwnership", "/members/:id/transfer-ownership")
      .setPath(S.IdPath)
      .addSuccess(S.OwnershipTransferred)
  )
  .add(
    HttpApiEndpoint.post("invite", "/invitations")
      .setPayload(body(Team.InviteInput, "InvitationInput"))
      .addSuccess(S.InvitationCreated, { status: 201 })
  )
  .add(
    HttpApiEndpoint.get("listInvitations", "/invitations")
      .setUrlParams(S.PageParams)
      .addSuccess(S.page(S.InvitationView))
  )
  .add(HttpApiEndpoint.del("revokeInvitation", "/invitations/:id").setPath(S.IdPath))
  .middleware(Authentication)

/** Accepting an invitation needs no key: the invitation's one-time token is the proof. */
const invitations = HttpApiGroup.make("invitations").add(
  HttpApiEndpoint.post("accept", "/invitations/accept")
    .setPayload(body(S.AcceptInput, "InvitationAccept"))
    .addSuccess(S.Accepted, { status: 201 })
)

const slack = HttpApiGroup.make("slack")
  .add(
    HttpApiEndpoint.post("createInstallLink", "/slack/install-links")
      .setPayload(body(S.SlackInstallLinkBody, "SlackInstallLinkInput"))
      .addSuccess(S.SlackInstallLinkCreated, { status: 201 })
  )
  .add(HttpApiEndpoint.get("getInstallation", "/slack/installation").addSuccess(S.SlackConnection))
  .add(
    HttpApiEndpoint.put("setProposalsChannel", "/slack/proposals-channel")
      .setPayload(body(S.ProposalsChannelBody, "SlackProposalsChannelInput"))
      .addSuccess(S.SlackConnection)
  )
  // No success schema: 204 No Content.
  .add(HttpApiEndpoint.del("deleteInstallation", "/slack/installation"))
  .middleware(Authentication)

/**
 * Plans and billing (owner). Stripe's webhook is not an endpoint here: its signature covers the
 * raw body, so it is a plain route beside the API (`app/BillingRoutes.ts`).
 */
const billing = HttpApiGroup.make("billing")
  .add(HttpApiEndpoint.get("get", "/billing").addSuccess(Plans.Overview))
  .add(
    HttpApiEndpoint.post("checkout", "/billing/checkout")
      .setPayload(body(Plans.CheckoutInput, "BillingCheckout"))
      .addSuccess(Plans.Link)
  )
  .add(HttpApiEndpoint.post("portal", "/billing/portal").addSuccess(Plans.Link))
  .middleware(Authentication)

/**
 * Effect's JSON Schema for `unknown` (and `any`, `object`, `{}`) carries a fixed `$id` such as
 * `/schemas/unknown`; repeated across the document, the same `$id` makes it invalid JSON Schema
 * for strict validators and code generators. The ids say nothing a client needs, so they go.
 */
const withoutBuiltInIds = (value: unknown): any => {
  if (Array.isArray(value)) return value.map(withoutBuiltInIds)
  if (typeof value !== "object" || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$id" && typeof inner === "string" && inner.startsWith("/schemas/")) continue
    out[key] = withoutBuiltInIds(inner)
  }
  return out
}

/** The REST API (SPEC §10), served under `/api/armature/v1`, documented at `/api/armature/v1/openapi.json`. */
export class ArmatureApi extends HttpApi.make("armature")
  .add(org)
  .add(servers)
  .add(workflows)
  .add(runs)
  .add(monitors)
  .add(alerts)
  .add(team)
  .add(invitations)
  .add(slack)
  .add(billing)
  .addError(HttpErrors.BadRequest)
  .addError(HttpErrors.Unauthorized)
  .addError(HttpErrors.Forbidden)
  .addError(HttpErrors.NotFoundResponse)
  .addError(HttpErrors.Timeout)
  .addError(HttpErrors.ConflictResponse)
  .addError(HttpErrors.PayloadTooLarge)
  .addError(HttpErrors.UnsupportedMediaType)
  .addError(HttpErrors.TooManyRequests)
  .addError(HttpErrors.ServerError)
  .addError(HttpErrors.BadGateway)
  .addError(HttpErrors.ServiceUnavailable)
  .prefix("/api/armature/v1")
  .annotateContext(
    OpenApi.annotations({
      title: "Armature REST API",
      version: "1",
      description: "Continuous testing and monitoring of MCP servers.",
      transform: withoutBuiltInIds
    })
  ) {}
