/**
 * `/alert-rules` and `/alerts` over a real HTTP server, on PGlite and (when it answers) on
 * PostgreSQL: roles, bad input that writes nothing, another organization's rules, test messages
 * through a recording sink, and the views of the outbox. The rules watch a server and a monitor
 * of the demo MCP server.
 */
import { randomUUID } from "node:crypto"
import { AlertStore, type OutboxMessage } from "@armature/core"
import { RecordingAlertSink } from "@armature/core/testing"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { freshDatabaseUrl, postgresAvailable } from "../../../store-postgres/test/support/databases.js"
import { type ApiServer, type Store, startApiServer } from "./support/apiServer.js"

const fields = (body: { error: { details?: { fieldErrors?: Array<{ field: string }> } } }) =>
  (body.error.details?.fieldErrors ?? []).map((f) => f.field)

const postgres = await postgresAvailable("packages/server/test/http/Alerts.test.ts")
const database = Effect.runSync(Scope.make())
const stores: Array<[string, () => Promise<Store>]> = [
  ["PGlite", async () => "pglite"],
  ...(postgres
    ? [
        [
          "PostgreSQL",
          async () => ({ postgresUrl: await Effect.runPromise(Scope.extend(freshDatabaseUrl, database)) })
        ] as [string, () => Promise<Store>]
      ]
    : [])
]
afterAll(() => Effect.runPromise(Scope.close(database, Exit.void)), 60_000)

describe.each(stores)("alerts on %s", (_label, store) => {
  let api: ApiServer
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let owner: Awaited<ReturnType<ApiServer["organization"]>>
  let editor = ""
  let viewer = ""
  let serverId = ""
  let monitorId = ""

  beforeAll(async () => {
    demo = await startDemoServer({ port: 0 })
    api = await startApiServer(await store())
    owner = await api.organization("Acme")
    editor = await api.key(owner.caller, "editor")
    viewer = await api.key(owner.caller, "viewer")
    const server = await api.request("POST", "/mcp-servers", {
      token: owner.token,
      body: { name: "demo-shop", baseUrl: demo.url }
    })
    serverId = server.body.server.id
    const monitor = await api.request("POST", "/monitors", {
      token: owner.token,
      body: {
        name: "products",
        mcpServerId: serverId,
        toolName: "list_products",
        arguments: { maxPriceEur: 20 }
      }
    })
    monitorId = monitor.body.id
  }, 120_000)
  afterAll(async () => {
    await api?.close()
    await demo?.close()
  })

  const rules = async () => (await api.request("GET", "/alert-rules", { token: viewer })).body.items
  const deliveries = () => api.run(Effect.flatMap(RecordingAlertSink.Recorder, (r) => r.deliveries))
  const slackRule = (name: string, channel = "C123") => ({
    name,
    target: { type: "monitor", id: monitorId },
    destination: { type: "slack", channel }
  })
  const create = async (body: unknown) => {
    const reply = await api.request("POST", "/alert-rules", { token: editor, body })
    expect(reply.status).toBe(201)
    return reply.body
  }

  describe("rules", () => {
    it("an editor creates, reads, changes and deletes a rule; each reply has the status line", async () => {
      const created = await create(slackRule("Products down"))
      expect(created).toMatchObject({
        name: "Products down",
        target: { type: "monitor", id: monitorId },
        destination: { type: "slack", channel: "C123" },
        on: ["fail", "error"],
        notifyRecovery: true,
        reminderMinutes: null,
        state: "enabled",
        status: "Watching — never fired"
      })
      const got = await api.request("GET", `/alert-rules/${created.id}`, { token: viewer })
      expect(got.status).toBe(200)
      expect(got.body).toEqual(created)

      const paused = await api.request("PATCH", `/alert-rules/${created.id}`, {
        token: editor,
        body: { state: "paused", reminderMinutes: 30 }
      })
      expect(paused.status).toBe(200)
      expect(paused.body).toMatchObject({
        name: "Products down",
        state: "paused",
        reminderMinutes: 30,
        status: "Paused",
        destination: { type: "slack", channel: "C123" }
      })

      const deleted = await api.request("DELETE", `/alert-rules/${created.id}`, { token: editor })
      expect(deleted.status).toBe(204)
      expect(deleted.body).toBeNull()
      const gone = await api.request("GET", `/alert-rules/${created.id}`, { token: viewer })
      expect(gone.status).toBe(404)
      expect(gone.body.error.code).toBe("not_found")
    })

    it("lists the rules of one target with targetType and targetId together", async () => {
      const onMonitor = await create(slackRule("Monitor rule"))
      const onServer = await create({
        name: "Server rule",
        target: { type: "mcp_server", id: serverId },
        destination: { type: "email", address: "oncall@example.com" }
      })
      expect(onServer.on).toEqual(["error", "drift_breaking", "drift_suspicious"])
      const byServer = await api.request("GET", `/alert-rules?targetType=mcp_server&targetId=${serverId}`, {
        token: viewer
      })
      expect(byServer.body.items.map((r: { id: string }) => r.id)).toEqual([onServer.id])
      const all = (await rules()).map((r: { id: string }) => r.id)
      expect(all).toEqual(expect.arrayContaining([onMonitor.id, onServer.id]))

      const half = await api.request("GET", "/alert-rules?targetType=monitor", { token: viewer })
      expect(half.status).toBe(400)
      expect(fields(half.body)).toEqual(["targetId"])
      const badType = await api.request("GET", `/alert-rules?targetType=robot&targetId=${serverId}`, {
        token: viewer
      })
      expect(fields(badType.body)).toEqual(["targetType"])
    })

    it("a webhook's signing secret goes to the secret store: replies show only its reference", async () => {
      const secret = "whsec-0123456789abcdef"
      const reply = await api.request("POST", "/alert-rules", {
        token: editor,
        body: {
          name: "Hook",
          target: { type: "mcp_server", id: serverId },
          destination: { type: "webhook", url: "https://hooks.example.com/armature", secret }
        }
      })
      expect(reply.status).toBe(201)
      expect(reply.body.destination).toEqual({
        type: "webhook",
        url: "https://hooks.example.com/armature",
        secretRef: expect.any(String)
      })
      expect(JSON.stringify(reply.body)).not.toContain(secret)
      const listed = await api.request("GET", "/alert-rules", { token: viewer })
      expect(JSON.stringify(listed.body)).not.toContain(secret)
    })

    it("a viewer reads but cannot create, change, delete or test; an editor can", async () => {
      const rule = await create(slackRule("Viewer check"))
      expect((await api.request("GET", `/alert-rules/${rule.id}`, { token: viewer })).status).toBe(200)
      expect((await api.request("GET", "/alerts", { token: viewer })).status).toBe(200)
      const attempts = [
        api.request("POST", "/alert-rules", { token: viewer, body: slackRule("Nope") }),
        api.request("PATCH", `/alert-rules/${rule.id}`, { token: viewer, body: { state: "paused" } }),
        api.request("DELETE", `/alert-rules/${rule.id}`, { token: viewer }),
        api.request("POST", `/alert-rules/${rule.id}/test`, { token: viewer })
      ]
      for (const reply of await Promise.all(attempts)) {
        expect(reply.status).toBe(403)
        expect(reply.body.error.code).toBe("forbidden_role")
      }
      expect((await rules()).filter((r: { name: string }) => r.name === "Nope")).toEqual([])
      const after = await api.request("GET", `/alert-rules/${rule.id}`, { token: viewer })
      expect(after.body.state).toBe("enabled")
      expect((await api.request("POST", `/alert-rules/${rule.id}/test`, { token: editor })).status).toBe(200)
    })

    it("another organization's rule is a 404 on every route", async () => {
      const rule = await create(slackRule("Private"))
      const other = await api.organization("Other")
      for (const [method, path] of [
        ["GET", `/alert-rules/${rule.id}`],
        ["PATCH", `/alert-rules/${rule.id}`],
        ["DELETE", `/alert-rules/${rule.id}`],
        ["POST", `/alert-rules/${rule.id}/test`]
      ] as const) {
        const reply = await api.request(method, path, {
          token: other.token,
          ...(method === "PATCH" ? { body: { state: "paused" } } : {})
        })
        expect([method, reply.status, reply.body.error.code]).toEqual([method, 404, "not_found"])
      }
      expect((await api.request("GET", "/alert-rules", { token: other.token })).body.items).toEqual([])
      const still = await api.request("GET", `/alert-rules/${rule.id}`, { token: viewer })
      expect(still.body.state).toBe("enabled")
    })
  })

  it("a second rule of a name (in any case or spacing) is a 409 conflict on name, and writes nothing", async () => {
    const first = await create(slackRule("Catalog pager"))
    const before = await rules()
    const twin = await api.request("POST", "/alert-rules", {
      token: editor,
      body: slackRule(" catalog  PAGER ")
    })
    expect(twin.status).toBe(409)
    expect(twin.body.error.code).toBe("conflict")
    expect(fields(twin.body)).toEqual(["name"])
    const other = await create(slackRule("Catalog pager 2"))
    const renamed = await api.request("PATCH", `/alert-rules/${other.id}`, {
      token: editor,
      body: { name: "CATALOG PAGER" }
    })
    expect(renamed.status).toBe(409)
    expect((await rules()).length).toBe(before.length + 1)
    for (const r of [first, other]) await api.request("DELETE", `/alert-rules/${r.id}`, { token: editor })
  })

  describe("bad input is a 400 naming the field, and writes nothing", () => {
    const refused = async (reply: Awaited<ReturnType<ApiServer["request"]>>, field: string) => {
      expect(reply.status).toBe(400)
      expect(reply.body.error.code).toBe("validation_failed")
      expect(fields(reply.body)).toEqual([field])
    }

    it("on create: a missing name, a bad email, an unknown target, an unknown destination type", async () => {
      const before = await rules()
      const { name: _, ...nameless } = slackRule("x")
      await refused(await api.request("POST", "/alert-rules", { token: editor, body: nameless }), "name")
      await refused(
        await api.request("POST", "/alert-rules", {
          token: editor,
          body: { ...slackRule("Bad email"), destination: { type: "email", address: "not-an-address" } }
        }),
        "destination.address"
      )
      await refused(
        await api.request("POST", "/alert-rules", {
          token: editor,
          body: { ...slackRule("Nowhere"), target: { type: "monitor", id: randomUUID() } }
        }),
        "target.id"
      )
      await refused(
        await api.request("POST", "/alert-rules", {
          token: editor,
          body: { ...slackRule("Pigeon"), destination: { type: "carrier-pigeon", loft: "north" } }
        }),
        "destination.type"
      )
      await refused(
        await api.request("POST", "/alert-rules", {
          token: editor,
          body: {
            ...slackRule("Short secret"),
            destination: { type: "webhook", url: "https://hooks.example.com/x", secret: "short" }
          }
        }),
        "destination.secret"
      )
      expect(await rules()).toEqual(before)
    })

    it("on update: a bad field, an unknown field, a body that is not an object", async () => {
      const rule = await create(slackRule("Patch me"))
      const path = `/alert-rules/${rule.id}`
      await refused(
        await api.request("PATCH", path, {
          token: editor,
          body: { destination: { type: "email", address: "nope" } }
        }),
        "destination.address"
      )
      await refused(
        await api.request("PATCH", path, { token: editor, body: { reminderMinutes: 0 } }),
        "reminderMinutes"
      )
      await refused(await api.request("PATCH", path, { token: editor, body: { colour: "red" } }), "colour")
      await refused(await api.request("PATCH", path, { token: editor, body: [1] }), "(root)")
      expect((await api.request("GET", path, { token: viewer })).body).toEqual(rule)
    })

    it("on the lists: an unknown status, a limit out of range, a cursor that is not one", async () => {
      await refused(await api.request("GET", "/alerts?status=lost", { token: viewer }), "status")
      await refused(await api.request("GET", "/alerts?limit=0", { token: viewer }), "limit")
      await refused(await api.request("GET", "/alerts?cursor=nonsense", { token: viewer }), "cursor")
      const unknown = await api.request("POST", `/alert-rules/${randomUUID()}/test`, { token: editor })
      expect(unknown.status).toBe(404)
    })
  })

  describe("POST /alert-rules/{id}/test", () => {
    it("sends a marked test message through the sink, a new id each time, and queues nothing", async () => {
      const rule = await create(slackRule("Tested"))
      const before = (await deliveries()).length
      const first = await api.request("POST", `/alert-rules/${rule.id}/test`, { token: editor })
      expect(first.status).toBe(200)
      expect(first.body).toEqual({ delivered: true })
      await api.request("POST", `/alert-rules/${rule.id}/test`, { token: editor })
      const sent = (await deliveries()).slice(before)
      expect(sent).toHaveLength(2)
      expect(sent[0]!.id).not.toBe(sent[1]!.id)
      expect(sent[0]).toMatchObject({
        orgId: owner.orgId,
        destination: { type: "slack", channel: "C123" },
        message: {
          kind: "firing",
          outcome: "test",
          ruleName: "Tested",
          subject: "[Armature] Tested: test message",
          objectName: "products",
          target: { type: "monitor", id: monitorId, name: "products" },
          server: { id: serverId, name: "demo-shop" }
        }
      })
      expect(sent[0]!.message.summary).toContain("test")
      const outbox = await api.run(Effect.flatMap(AlertStore, (s) => s.listOutbox(owner.orgId)))
      expect(outbox.filter((m) => m.ruleId === rule.id)).toEqual([])
      const after = await api.request("GET", `/alert-rules/${rule.id}`, { token: viewer })
      expect(after.body.status).toBe("Watching — never fired")
    })

    it("a destination that refuses is a 200 with the error, not an API error", async () => {
      const rule = await create(slackRule("Refused", "C_FAIL"))
      const reply = await api.request("POST", `/alert-rules/${rule.id}/test`, { token: editor })
      expect(reply.status).toBe(200)
      expect(reply.body).toEqual({
        delivered: false,
        error: "rejected by the recording sink",
        retryable: false
      })
    })
  })

  describe("GET /alerts", () => {
    it("lists deliveries newest first with status, kind, target and destination, filtered and paged", async () => {
      const org = await api.organization("Outbox")
      const reader = await api.key(org.caller, "viewer")
      const ruleId = randomUUID()
      const base = Date.parse("2025-03-01T10:00:00Z")
      const row = (
        n: number,
        over: Partial<OutboxMessage> & { outcome?: string; kind?: "firing" | "recovery" }
      ) => {
        const { outcome = "fail", kind = "firing", ...rest } = over
        const message: OutboxMessage = {
          id: randomUUID(),
          orgId: org.orgId,
          ruleId,
          destination: { type: "slack", channel: "C9" },
          message: {
            kind,
            ruleName: "Shop rule",
            subject: `[Armature] Shop rule: products ${outcome}`,
            objectName: "products",
            outcome,
            summary: "s",
            link: null,
            at: new Date(base + n * 60_000)
          },
          status: "pending",
          attempts: 0,
          nextAttemptAt: new Date(base + n * 60_000),
          lastError: null,
          createdAt: new Date(base + n * 60_000),
          deliveredAt: null,
          ...rest
        }
        return message
      }
      const rows = [
        row(1, { status: "delivered", attempts: 1, deliveredAt: new Date(base + 61_000) }),
        row(2, { attempts: 2, lastError: "Slack answered 503" }),
        row(3, { status: "dead", attempts: 10, lastError: "channel_not_found" }),
        row(4, {
          outcome: "drift_breaking",
          ruleId: null,
          destination: { type: "pagerduty", service: "shop", routingKey: "R0UT1NG" }
        }),
        row(5, { kind: "recovery", outcome: "pass" })
      ]
      await api.run(Effect.flatMap(AlertStore, (s) => Effect.forEach(rows, (m) => s.enqueue(m))))
      const get = (query = "") => api.request("GET", `/alerts${query}`, { token: reader })

      const all = await get()
      expect(all.status).toBe(200)
      expect(all.body.items.map((i: { id: string }) => i.id)).toEqual([...rows].reverse().map((r) => r.id))
      expect(all.body.items.map((i: { status: string; kind: string }) => [i.status, i.kind])).toEqual([
        ["pending", "recovery"],
        ["pending", "drift"],
        ["dead", "firing"],
        ["failed", "firing"],
        ["delivered", "firing"]
      ])
      expect(all.body.items[3]).toMatchObject({
        ruleId,
        ruleName: "Shop rule",
        subject: "[Armature] Shop rule: products fail",
        attempts: 2,
        lastError: "Slack answered 503",
        destination: { type: "slack", channel: "C9" },
        nextAttemptAt: new Date(base + 2 * 60_000).toISOString(),
        deliveredAt: null
      })
      expect(all.body.items[4]).toMatchObject({
        nextAttemptAt: null,
        deliveredAt: new Date(base + 61_000).toISOString()
      })
      // A plugin's fields are shown, except those that may hold a credential.
      expect(all.body.items[1].destination).toEqual({ type: "pagerduty", service: "shop" })
      expect(all.body.nextCursor).toBeNull()

      const statuses = async (status: string) =>
        (await get(`?status=${status}`)).body.items.map((i: { id: string }) => i.id)
      expect(await statuses("failed")).toEqual([rows[1]!.id])
      expect(await statuses("pending")).toEqual([rows[4]!.id, rows[3]!.id])
      expect(await statuses("dead")).toEqual([rows[2]!.id])
      expect(await statuses("delivered")).toEqual([rows[0]!.id])
      expect(
        (await get(`?ruleId=${ruleId}&status=pending`)).body.items.map((i: { id: string }) => i.id)
      ).toEqual([rows[4]!.id])

      const first = await get("?limit=2")
      expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([rows[4]!.id, rows[3]!.id])
      const second = await get(`?limit=2&cursor=${first.body.nextCursor}`)
      expect(second.body.items.map((i: { id: string }) => i.id)).toEqual([rows[2]!.id, rows[1]!.id])
      const third = await get(`?limit=2&cursor=${second.body.nextCursor}`)
      expect(third.body.items.map((i: { id: string }) => i.id)).toEqual([rows[0]!.id])
      expect(third.body.nextCursor).toBeNull()

      // Another organization sees none of them.
      expect(
        (await api.request("GET", "/alerts", { token: owner.token })).body.items.map(
          (i: { id: string }) => i.id
        )
      ).not.toContain(rows[0]!.id)
    })
  })

  it("the OpenAPI document describes the alert routes", async () => {
    const doc = (await (await fetch(`${api.origin}/api/armature/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/armature/v1/alert-rules",
        "/api/armature/v1/alert-rules/{id}",
        "/api/armature/v1/alert-rules/{id}/test",
        "/api/armature/v1/alerts"
      ])
    )
    expect(Object.keys(doc.paths["/api/armature/v1/alert-rules/{id}"] ?? {})).toEqual(
      expect.arrayContaining(["get", "patch", "delete"])
    )
  })
})
