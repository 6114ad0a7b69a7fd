/**
 * Every route of the REST API, from one table, on PostgreSQL, through the typed client
 * (`@armature/server/api`), so each request is built from its declared body schema and each reply
 * must match its declared success or error schema. For each route: the role below the lowest
 * allowed one gets 403 `forbidden_role` (below a viewer: no key, 401), the lowest allowed role
 * succeeds, and one bad input is a 400 `validation_failed` naming the field. The table is checked
 * against the API's own definition, so a route added without a row here fails this file.
 *
 * The behaviour behind each route (what a delete keeps, how pages follow each other, …) is tested
 * in the route's own file; this one pins down the contract and the role rules of all of them.
 * A bad input goes raw only where the typed client cannot send it: a NUL in a path id, a value
 * outside the declared wire schema. Routes that take no input (`GET /org`, `GET /billing`, …)
 * have no bad input.
 */
import type { Role } from "@armature/core"
import { Models, RunJob } from "@armature/runner"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { ArmatureApi, type Client } from "../../src/api.js"
import { prefix } from "../../src/http/ErrorMiddleware.js"
import { scriptedModels } from "../support/scriptedModels.js"
import type { ApiServer } from "./support/apiServer.js"
import { fieldsOf, ok, postgresApi, refusal, type Team, typedCalls } from "./support/postgresApi.js"

const postgres = await postgresApi("packages/server/test/http/Routes.test.ts")

let api: ApiServer
let team: Team
let demo: Awaited<ReturnType<typeof startDemoServer>>
const ids = { server: "", workflow: "", run: "", monitor: "", rule: "" }

/** A fresh name each call: names are unique per organization. */
let n = 0
const unique = (prefix: string) => `${prefix} ${++n}`

type Call = (client: Client) => Effect.Effect<unknown, unknown>

/** As the owner, outside the checks: what a route needs to exist first. */
const asOwner = async <A>(f: (client: Client) => Effect.Effect<A, unknown>) =>
  ok(await api.call(team.owner.token, f))

const workflowSpec = () => ({
  name: unique("Order lookup"),
  mcpServerId: ids.server,
  prompt: "Find order A-1001.",
  criteria: [{ text: "The agent called get_order" }],
  testerModels: ["scripted:tester"],
  judgeModel: "scripted:judge"
})
const monitorSpec = () => ({
  name: unique("order lookup"),
  mcpServerId: ids.server,
  toolName: "get_order",
  arguments: { orderId: "A-1001" }
})
const ruleSpec = () => ({
  name: unique("shop down"),
  target: { type: "mcp_server" as const, id: ids.server },
  destination: { type: "email" as const, address: "ops@example.com" }
})

const invite = (role: "viewer" | "editor" | "admin") => asOwner((c) => c.team.invite({ payload: { role } }))
/** A new member (an accepted invitation): their id. */
const member = async (role: "viewer" | "editor" | "admin") => {
  const { token } = await invite(role)
  const accepted = await typedCalls(api.origin)(null, (c) =>
    c.invitations.accept({
      payload: { token, email: `${unique("member").replace(" ", "-")}@acme.test`, name: "Mo" }
    })
  )
  return ok(accepted).member.id
}

/**
 * A route's row: the lowest role allowed (`null`: no key needed), the call that role makes (with
 * the id `fresh` made, for routes that use something up), and its bad input. `outcome` is the
 * error code the allowed call gets where this server cannot do it (no Slack app, no billing);
 * it still passed the role check and its reply decoded.
 */
interface Route {
  readonly role: Role | null
  readonly call: (id: string) => Call
  readonly fresh?: () => Promise<string>
  readonly outcome?: string
  readonly bad?: { readonly field: string; readonly call: Call } | { readonly nulIn: "id" }
}

const nul = { nulIn: "id" } as const
const badLimit = (call: (limit: string) => Call) => ({ field: "limit", call: call("0") })

const routes: Record<string, Route> = {
  "org.get": { role: "viewer", call: () => (c) => c.org.get() },
  "org.audit": {
    role: "admin",
    call: () => (c) => c.org.audit({ urlParams: {} }),
    bad: badLimit((limit) => (c) => c.org.audit({ urlParams: { limit } }))
  },

  "servers.create": {
    role: "editor",
    call: () => (c) => c.servers.create({ payload: { name: unique("shop"), baseUrl: demo.url } }),
    bad: {
      field: "baseUrl",
      call: (c) => c.servers.create({ payload: { name: unique("shop"), baseUrl: "not a url" } })
    }
  },
  "servers.list": {
    role: "viewer",
    call: () => (c) => c.servers.list({ urlParams: {} }),
    bad: badLimit((limit) => (c) => c.servers.list({ urlParams: { limit } }))
  },
  "servers.get": { role: "viewer", call: () => (c) => c.servers.get({ path: { id: ids.server } }), bad: nul },
  "servers.update": {
    role: "editor",
    call: () => (c) => c.servers.update({ path: { id: ids.server }, payload: { baseUrl: demo.url } }),
    bad: {
      field: "baseUrl",
      call: (c) => c.servers.update({ path: { id: ids.server }, payload: { baseUrl: "not a url" } })
    }
  },
  "servers.delete": {
    role: "editor",
    fresh: async () =>
      (await asOwner((c) => c.servers.create({ payload: { name: unique("retired"), baseUrl: demo.url } })))
        .server.id,
    call: (id) => (c) => c.servers.delete({ path: { id }, urlParams: {} }),
    bad: {
      field: "cascade",
      call: (c) => c.servers.delete({ path: { id: ids.server }, urlParams: { cascade: "maybe" } })
    }
  },
  "servers.listAuthProfiles": {
    role: "viewer",
    call: () => (c) => c.servers.listAuthProfiles({ path: { id: ids.server } }),
    bad: nul
  },
  "servers.monitorSuggestions": {
    role: "viewer",
    call: () => (c) => c.servers.monitorSuggestions({ path: { id: ids.server } }),
    bad: nul
  },
  "servers.probe": {
    role: "editor",
    call: () => (c) => c.servers.probe({ path: { id: ids.server }, payload: {} }),
    bad: nul
  },
  "servers.sync": {
    role: "admin",
    call: () => (c) => c.servers.sync({ path: { id: ids.server } }),
    bad: nul
  },
  "servers.addAuthProfile": {
    role: "editor",
    call: () => (c) =>
      c.servers.addAuthProfile({
        path: { id: ids.server },
        payload: { name: unique("profile"), kind: "none" }
      }),
    bad: {
      field: "name",
      call: (c) => c.servers.addAuthProfile({ path: { id: ids.server }, payload: { name: "", kind: "none" } })
    }
  },
  "servers.deleteAuthProfile": {
    role: "editor",
    fresh: async () =>
      (
        await asOwner((c) =>
          c.servers.addAuthProfile({
            path: { id: ids.server },
            payload: { name: unique("spare"), kind: "none" }
          })
        )
      ).id,
    call: (profileId) => (c) => c.servers.deleteAuthProfile({ path: { id: ids.server, profileId } }),
    bad: nul
  },
  "servers.replaceAuthProfileSecret": {
    role: "editor",
    fresh: async () =>
      (
        await asOwner((c) =>
          c.servers.addAuthProfile({
            path: { id: ids.server },
            payload: { name: unique("bearer"), kind: "bearer", token: "first-secret-token-value" }
          })
        )
      ).id,
    call: (profileId) => (c) =>
      c.servers.replaceAuthProfileSecret({
        path: { id: ids.server, profileId },
        payload: { token: "second-secret-token-value" }
      }),
    bad: nul
  },
  "servers.catalog": {
    role: "viewer",
    call: () => (c) => c.servers.catalog({ path: { id: ids.server }, urlParams: {} }),
    bad: badLimit((limit) => (c) => c.servers.catalog({ path: { id: ids.server }, urlParams: { limit } }))
  },
  "servers.coverage": {
    role: "viewer",
    call: () => (c) => c.servers.coverage({ path: { id: ids.server } }),
    bad: nul
  },

  "workflows.create": {
    role: "editor",
    call: () => (c) => c.workflows.create({ payload: workflowSpec() }),
    bad: { field: "prompt", call: (c) => c.workflows.create({ payload: { ...workflowSpec(), prompt: "" } }) }
  },
  "workflows.update": {
    role: "editor",
    call: () => (c) =>
      c.workflows.update({ path: { id: ids.workflow }, payload: { description: unique("v") } }),
    bad: {
      field: "prompt",
      call: (c) => c.workflows.update({ path: { id: ids.workflow }, payload: { prompt: "" } })
    }
  },
  "workflows.list": {
    role: "viewer",
    call: () => (c) => c.workflows.list({ urlParams: {} }),
    bad: { field: "state", call: (c) => c.workflows.list({ urlParams: { state: "sleeping" } }) }
  },
  "workflows.get": {
    role: "viewer",
    call: () => (c) => c.workflows.get({ path: { id: ids.workflow } }),
    bad: nul
  },
  "workflows.pause": {
    role: "editor",
    fresh: async () => (await asOwner((c) => c.workflows.create({ payload: workflowSpec() }))).id,
    call: (id) => (c) => c.workflows.pause({ path: { id } }),
    bad: nul
  },
  "workflows.resume": {
    role: "editor",
    fresh: async () => {
      const { id } = await asOwner((c) => c.workflows.create({ payload: workflowSpec() }))
      await asOwner((c) => c.workflows.pause({ path: { id } }))
      return id
    },
    call: (id) => (c) => c.workflows.resume({ path: { id } }),
    bad: nul
  },
  "workflows.delete": {
    role: "editor",
    fresh: async () => (await asOwner((c) => c.workflows.create({ payload: workflowSpec() }))).id,
    call: (id) => (c) => c.workflows.delete({ path: { id } }),
    bad: nul
  },
  "workflows.versions": {
    role: "viewer",
    call: () => (c) => c.workflows.versions({ path: { id: ids.workflow } }),
    bad: nul
  },
  "workflows.dispatch": {
    role: "editor",
    call: () => (c) =>
      c.workflows.dispatch({ path: { id: ids.workflow }, payload: { reason: unique("table") } }),
    bad: {
      field: "samples",
      call: (c) => c.workflows.dispatch({ path: { id: ids.workflow }, payload: { samples: 0 } })
    }
  },

  "runs.list": {
    role: "viewer",
    call: () => (c) => c.runs.list({ urlParams: {} }),
    bad: { field: "status", call: (c) => c.runs.list({ urlParams: { status: "sleeping" } }) }
  },
  "runs.get": { role: "viewer", call: () => (c) => c.runs.get({ path: { id: ids.run } }), bad: nul },
  "runs.trace": { role: "viewer", call: () => (c) => c.runs.trace({ path: { id: ids.run } }), bad: nul },
  "runs.evaluation": {
    role: "viewer",
    call: () => (c) => c.runs.evaluation({ path: { id: ids.run } }),
    bad: nul
  },
  "runs.toolCalls": {
    role: "viewer",
    call: () => (c) => c.runs.toolCalls({ path: { id: ids.run } }),
    bad: nul
  },
  "runs.samples": { role: "viewer", call: () => (c) => c.runs.samples({ path: { id: ids.run } }), bad: nul },
  "runs.replay": { role: "editor", call: () => (c) => c.runs.replay({ path: { id: ids.run } }), bad: nul },

  "monitors.create": {
    role: "editor",
    call: () => (c) => c.monitors.create({ payload: monitorSpec() }),
    bad: {
      field: "intervalSeconds",
      call: (c) => c.monitors.create({ payload: { ...monitorSpec(), intervalSeconds: 1 } })
    }
  },
  "monitors.list": {
    role: "viewer",
    call: () => (c) => c.monitors.list({ urlParams: {} }),
    bad: badLimit((limit) => (c) => c.monitors.list({ urlParams: { limit } }))
  },
  "monitors.get": {
    role: "viewer",
    call: () => (c) => c.monitors.get({ path: { id: ids.monitor } }),
    bad: nul
  },
  "monitors.update": {
    role: "editor",
    call: () => (c) => c.monitors.update({ path: { id: ids.monitor }, payload: { intervalSeconds: 120 } }),
    bad: {
      field: "intervalSeconds",
      call: (c) => c.monitors.update({ path: { id: ids.monitor }, payload: { intervalSeconds: 1 } })
    }
  },
  "monitors.pause": {
    role: "editor",
    call: () => (c) => c.monitors.pause({ path: { id: ids.monitor } }),
    bad: nul
  },
  "monitors.resume": {
    role: "editor",
    call: () => (c) => c.monitors.resume({ path: { id: ids.monitor } }),
    bad: nul
  },
  "monitors.mute": {
    role: "editor",
    call: () => (c) => c.monitors.mute({ path: { id: ids.monitor } }),
    bad: nul
  },
  "monitors.unmute": {
    role: "editor",
    call: () => (c) => c.monitors.unmute({ path: { id: ids.monitor } }),
    bad: nul
  },
  "monitors.delete": {
    role: "editor",
    fresh: async () => (await asOwner((c) => c.monitors.create({ payload: monitorSpec() }))).id,
    call: (id) => (c) => c.monitors.delete({ path: { id } }),
    bad: nul
  },
  "monitors.checks": {
    role: "viewer",
    call: () => (c) => c.monitors.checks({ path: { id: ids.monitor }, urlParams: {} }),
    bad: badLimit((limit) => (c) => c.monitors.checks({ path: { id: ids.monitor }, urlParams: { limit } }))
  },

  "alerts.listRules": {
    role: "viewer",
    call: () => (c) => c.alerts.listRules({ urlParams: {} }),
    bad: {
      field: "targetType",
      call: (c) => c.alerts.listRules({ urlParams: { targetType: "planet", targetId: "x" } })
    }
  },
  "alerts.createRule": {
    role: "editor",
    call: () => (c) => c.alerts.createRule({ payload: ruleSpec() }),
    bad: { field: "name", call: (c) => c.alerts.createRule({ payload: { ...ruleSpec(), name: "" } }) }
  },
  "alerts.getRule": {
    role: "viewer",
    call: () => (c) => c.alerts.getRule({ path: { id: ids.rule } }),
    bad: nul
  },
  "alerts.updateRule": {
    role: "editor",
    call: () => (c) => c.alerts.updateRule({ path: { id: ids.rule }, payload: { name: unique("renamed") } }),
    bad: {
      field: "name",
      call: (c) => c.alerts.updateRule({ path: { id: ids.rule }, payload: { name: "" } })
    }
  },
  "alerts.deleteRule": {
    role: "editor",
    fresh: async () => (await asOwner((c) => c.alerts.createRule({ payload: ruleSpec() }))).id,
    call: (id) => (c) => c.alerts.deleteRule({ path: { id } }),
    bad: nul
  },
  "alerts.testRule": {
    role: "editor",
    call: () => (c) => c.alerts.testRule({ path: { id: ids.rule } }),
    bad: nul
  },
  "alerts.deliveries": {
    role: "viewer",
    call: () => (c) => c.alerts.deliveries({ urlParams: {} }),
    bad: { field: "status", call: (c) => c.alerts.deliveries({ urlParams: { status: "lost" } }) }
  },

  "team.createKey": {
    role: "admin",
    call: () => (c) => c.team.createKey({ payload: { name: unique("ci"), role: "viewer" } }),
    bad: { field: "name", call: (c) => c.team.createKey({ payload: { name: "" } }) }
  },
  "team.listKeys": {
    role: "admin",
    call: () => (c) => c.team.listKeys({ urlParams: {} }),
    bad: badLimit((limit) => (c) => c.team.listKeys({ urlParams: { limit } }))
  },
  "team.revokeKey": {
    role: "admin",
    fresh: async () => (await asOwner((c) => c.team.createKey({ payload: { name: unique("old") } }))).key.id,
    call: (id) => (c) => c.team.revokeKey({ path: { id } }),
    bad: nul
  },
  "team.listMembers": {
    role: "admin",
    call: () => (c) => c.team.listMembers({ urlParams: {} }),
    bad: badLimit((limit) => (c) => c.team.listMembers({ urlParams: { limit } }))
  },
  "team.changeRole": {
    role: "admin",
    fresh: () => member("viewer"),
    call: (id) => (c) => c.team.changeRole({ path: { id }, payload: { role: "editor" } }),
    bad: nul
  },
  "team.removeMember": {
    role: "admin",
    fresh: () => member("viewer"),
    call: (id) => (c) => c.team.removeMember({ path: { id } }),
    bad: nul
  },
  "team.invite": {
    role: "admin",
    call: () => (c) => c.team.invite({ payload: { role: "viewer" } }),
    bad: {
      field: "email",
      call: (c) => c.team.invite({ payload: { role: "viewer", email: "not an address" } })
    }
  },
  "team.listInvitations": {
    role: "admin",
    call: () => (c) => c.team.listInvitations({ urlParams: {} }),
    bad: badLimit((limit) => (c) => c.team.listInvitations({ urlParams: { limit } }))
  },
  "team.revokeInvitation": {
    role: "admin",
    fresh: async () => (await invite("viewer")).invitation.id,
    call: (id) => (c) => c.team.revokeInvitation({ path: { id } }),
    bad: nul
  },
  "invitations.accept": {
    role: null,
    fresh: async () => (await invite("viewer")).token,
    call: (token) => (c) =>
      c.invitations.accept({
        payload: { token, email: `${unique("new").replace(" ", "-")}@acme.test`, name: "Nu" }
      }),
    bad: {
      field: "email",
      call: (c) =>
        c.invitations.accept({ payload: { token: "amt_inv_unknown", email: "not an address", name: "Nu" } })
    }
  },

  // Slack is not configured on this server: the allowed calls get as far as saying so.
  // SlackInstall.test.ts, with a Slack app, sends the install link's bad input.
  "slack.createInstallLink": {
    role: "admin",
    outcome: "slack_not_configured",
    call: () => (c) => c.slack.createInstallLink({ payload: {} })
  },
  "slack.getInstallation": { role: "viewer", call: () => (c) => c.slack.getInstallation() },
  "slack.setProposalsChannel": {
    role: "admin",
    outcome: "not_found",
    call: () => (c) => c.slack.setProposalsChannel({ payload: { channel: "C0PROPOSALS" } }),
    bad: { field: "channel", call: (c) => c.slack.setProposalsChannel({ payload: { channel: "#general" } }) }
  },
  "slack.deleteInstallation": {
    role: "admin",
    outcome: "not_found",
    call: () => (c) => c.slack.deleteInstallation()
  },

  "billing.get": { role: "owner", call: () => (c) => c.billing.get() },
  "billing.checkout": {
    role: "owner",
    outcome: "billing_unavailable",
    call: () => (c) => c.billing.checkout({ payload: { plan: "team" } })
  },
  "billing.portal": { role: "owner", outcome: "billing_unavailable", call: () => (c) => c.billing.portal() },

  // Last: the owner hands the organization over and is an admin from then on.
  "team.transferOwnership": {
    role: "owner",
    fresh: () => member("admin"),
    call: (id) => (c) => c.team.transferOwnership({ path: { id } }),
    bad: nul
  }
}

const below: Record<Role, Role | null> = { viewer: null, editor: "viewer", admin: "editor", owner: "admin" }
const tokenOf = (role: Role) => (role === "owner" ? team.owner.token : team[role])

/** Every endpoint the API declares, as `group.endpoint`, with its method and path. */
const declared = Object.values(ArmatureApi.groups).flatMap((group) =>
  Object.values(group.endpoints).map((e) => ({
    route: `${group.identifier}.${e.name}`,
    method: e.method,
    path: e.path
  }))
)

beforeAll(async () => {
  if (!postgres.available) return
  demo = await startDemoServer({ port: 0 })
  // Each viewer route's check without a key is an authentication failure from this address.
  team = await postgres.start({ authFailures: { limit: 1000 } })
  api = team.api
  ids.server = (
    await asOwner((c) =>
      c.servers.create({
        payload: { name: "demo-shop", baseUrl: demo.url, authProfiles: [{ name: "none", kind: "none" }] }
      })
    )
  ).server.id
  ids.workflow = (await asOwner((c) => c.workflows.create({ payload: workflowSpec() }))).id
  ids.run = (
    await asOwner((c) => c.workflows.dispatch({ path: { id: ids.workflow }, payload: {} }))
  ).run.runId
  // Executed as the worker would (the API has no worker): only a finished run can be replayed.
  await api.run(
    RunJob.executeRun(team.owner.orgId, ids.run, 1).pipe(
      Effect.provide(Models.layer({ models: scriptedModels }))
    )
  )
  ids.monitor = (await asOwner((c) => c.monitors.create({ payload: monitorSpec() }))).id
  ids.rule = (await asOwner((c) => c.alerts.createRule({ payload: ruleSpec() }))).id
}, 120_000)

afterAll(async () => {
  await postgres.stop()
  await demo?.close()
}, 60_000)

describe.runIf(postgres.available)("every REST route through the typed client", () => {
  it("the table has one row per route the API declares", () => {
    expect(Object.keys(routes).sort()).toEqual(declared.map((d) => d.route).sort())
  })

  it.each(Object.entries(routes))("%s: role rule, the allowed call, one bad input", async (name, route) => {
    const id = route.fresh === undefined ? "" : await route.fresh()
    const call = route.call(id)

    if (route.role !== null) {
      const lower = below[route.role]
      const refused =
        lower === null ? await typedCalls(api.origin)(null, call) : await api.call(tokenOf(lower), call)
      expect(refusal(refused)).toMatchObject(
        lower === null ? { status: 401, code: "unauthenticated" } : { status: 403, code: "forbidden_role" }
      )
    }

    const allowed =
      route.role === null
        ? await typedCalls(api.origin)(null, call)
        : await api.call(tokenOf(route.role), call)
    if (route.outcome === undefined) ok(allowed)
    else expect(refusal(allowed).code).toBe(route.outcome)

    if (route.bad === undefined) return
    const token = route.role === null ? null : tokenOf(route.role)
    if ("nulIn" in route.bad) {
      const { method, path } = declared.find((d) => d.route === name)!
      const reply = await api.request(
        method,
        path.slice(prefix.length).replace(":id", "a%00b").replace(":profileId", "p"),
        {
          token
        }
      )
      expect(reply.status, JSON.stringify(reply.body)).toBe(400)
      expect(reply.body.error.code).toBe("validation_failed")
      expect(fieldsOf(reply.body)).toContain("id")
    } else {
      const bad = route.bad
      const refused =
        route.role === null ? await typedCalls(api.origin)(null, bad.call) : await api.call(token!, bad.call)
      expect(refusal(refused)).toMatchObject({ status: 400, code: "validation_failed" })
      expect(refusal(refused).fields).toContain(bad.field)
    }
  })
})
