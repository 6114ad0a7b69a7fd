/**
 * Deleting servers and auth profiles over REST, on PostgreSQL, through the typed client: a
 * server in use is refused with what uses it (`usedBy`) and nothing changes; `cascade=true`
 * archives its workflows (their runs stay readable) and its monitors (their checks stay
 * readable), deletes the alert rules that could never fire again, and its secrets; an auth profile in use, or the last one, is
 * refused. Each route: editor allowed, viewer 403, and a bad input named.
 */
import { randomUUID } from "node:crypto"
import { MonitorStore, SecretStore, ServerStore } from "@armature/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import type { ApiServer } from "./support/apiServer.js"
import { ok, postgresApi, refusal } from "./support/postgresApi.js"

const postgres = await postgresApi("packages/server/test/http/ServerDelete.test.ts")

let api: ApiServer
let demo: Awaited<ReturnType<typeof startDemoServer>>
let editor = ""
let viewer = ""
let orgId = ""

beforeAll(async () => {
  if (!postgres.available) return
  demo = await startDemoServer({ port: 0 })
  const team = await postgres.start()
  ;({ api, editor, viewer } = team)
  orgId = team.owner.orgId
}, 120_000)

afterAll(async () => {
  await postgres.stop()
  await demo?.close()
}, 60_000)

const register = async (name: string) =>
  ok(
    await api.call(editor, (client) =>
      client.servers.create({
        payload: {
          name,
          baseUrl: demo.url,
          authProfiles: [
            { name: "none", kind: "none" },
            { name: "ci", kind: "bearer", token: `${name}-secret-token-value` }
          ]
        }
      })
    )
  )

const monitorOn = async (serverId: string, name: string, authProfileId?: string) =>
  ok(
    await api.call(editor, (client) =>
      client.monitors.create({
        payload: {
          name,
          mcpServerId: serverId,
          toolName: "get_order",
          arguments: { orderId: "A-1001" },
          ...(authProfileId === undefined ? {} : { authProfileId })
        }
      })
    )
  )

const workflowOn = async (serverId: string, name: string) =>
  ok(
    await api.call(editor, (client) =>
      client.workflows.create({
        payload: {
          name,
          mcpServerId: serverId,
          prompt: "Find order A-1001.",
          criteria: [{ text: "The agent called get_order" }],
          testerModels: ["scripted:tester"],
          judgeModel: "scripted:judge"
        }
      })
    )
  )

const secretExists = (ref: string) =>
  api.run(
    Effect.flatMap(SecretStore, (s) => s.get(orgId, ref)).pipe(
      Effect.as(true),
      Effect.catchTag("SecretNotFound", () => Effect.succeed(false))
    )
  )

describe.runIf(postgres.available)("DELETE /mcp-servers/{id}", () => {
  it("a server in use is refused with what uses it, and nothing changes; a viewer is 403", async () => {
    const { server } = await register("in-use")
    const monitor = await monitorOn(server.id, "order lookup")
    const workflow = await workflowOn(server.id, "Order flow")

    const forbidden = await api.call(viewer, (client) =>
      client.servers.delete({ path: { id: server.id }, urlParams: { cascade: "true" } })
    )
    expect(refusal(forbidden)).toMatchObject({ status: 403, code: "forbidden_role" })

    const refused = await api.call(editor, (client) =>
      client.servers.delete({ path: { id: server.id }, urlParams: {} })
    )
    expect(refusal(refused)).toMatchObject({ status: 409, code: "conflict" })
    expect(refused.ok ? null : refused.error.details?.usedBy).toEqual([
      { type: "monitor", id: monitor.id, name: "order lookup" },
      { type: "workflow", id: workflow.id, name: "Order flow" }
    ])
    expect(refused.ok ? "" : refused.error.message).toContain("cascade=true")
    // Nothing changed.
    expect(
      ok(await api.call(viewer, (client) => client.servers.get({ path: { id: server.id } }))).server.id
    ).toBe(server.id)
    expect(ok(await api.call(viewer, (client) => client.monitors.get({ path: { id: monitor.id } }))).id).toBe(
      monitor.id
    )
    expect(
      ok(await api.call(viewer, (client) => client.workflows.get({ path: { id: workflow.id } }))).state
    ).toBe("active")
  })

  it("cascade=true archives the workflows (runs stay readable) and the monitors (checks stay readable), deletes their rules and the secrets", async () => {
    const { server, authProfiles } = await register("retired")
    const monitor = await monitorOn(server.id, "retired lookup")
    const scheduledAt = new Date(Date.now() - 60_000)
    await api.run(
      Effect.flatMap(MonitorStore, (s) =>
        s.insertCheck({
          id: randomUUID(),
          orgId,
          monitorId: monitor.id,
          scheduledAt,
          startedAt: scheduledAt,
          outcome: "pass",
          latencyMs: 80,
          error: null,
          resultExcerpt: null,
          attempts: 1
        })
      )
    )
    const monitorRule = ok(
      await api.call(editor, (client) =>
        client.alerts.createRule({
          payload: {
            name: "retired lookup down",
            target: { type: "monitor", id: monitor.id },
            destination: { type: "email", address: "ops@example.com" }
          }
        })
      )
    )
    const workflow = await workflowOn(server.id, "Retired flow")
    const run = ok(
      await api.call(editor, (client) =>
        client.workflows.dispatch({ path: { id: workflow.id }, payload: { reason: "before delete" } })
      )
    ).run
    const rule = ok(
      await api.call(editor, (client) =>
        client.alerts.createRule({
          payload: {
            name: "retired down",
            target: { type: "mcp_server", id: server.id },
            destination: { type: "email", address: "ops@example.com" }
          }
        })
      )
    )
    expect(authProfiles).toHaveLength(2)
    const profiles = await api.run(Effect.flatMap(ServerStore, (s) => s.listAuthProfiles(orgId, server.id)))
    const secretRef = profiles.find((p) => p.secretRef !== null)!.secretRef!
    expect(await secretExists(secretRef)).toBe(true)

    const bad = await api.call(editor, (client) =>
      client.servers.delete({ path: { id: server.id }, urlParams: { cascade: "yes" } })
    )
    expect(refusal(bad)).toMatchObject({ status: 400, code: "validation_failed", fields: ["cascade"] })

    const deleted = ok(
      await api.call(editor, (client) =>
        client.servers.delete({ path: { id: server.id }, urlParams: { cascade: "true" } })
      )
    )
    expect(deleted).toEqual({
      serverId: server.id,
      archivedWorkflows: [{ id: workflow.id, name: "Retired flow" }],
      archivedMonitors: [{ id: monitor.id, name: "retired lookup" }],
      deletedAlertRules: [
        { id: rule.id, name: "retired down" },
        { id: monitorRule.id, name: "retired lookup down" }
      ]
    })
    const gone = await api.call(viewer, (client) => client.servers.get({ path: { id: server.id } }))
    expect(refusal(gone)).toMatchObject({ status: 404, code: "mcp_server_not_found" })
    // The monitor is archived with its server gone: readable by id with its checks, out of lists.
    expect(
      ok(await api.call(viewer, (client) => client.monitors.get({ path: { id: monitor.id } }))).state
    ).toBe("archived")
    const checks = ok(
      await api.call(viewer, (client) => client.monitors.checks({ path: { id: monitor.id }, urlParams: {} }))
    )
    expect(checks.items.map((c) => c.outcome)).toEqual(["pass"])
    const listed = ok(await api.call(viewer, (client) => client.monitors.list({ urlParams: {} }))).items
    expect(listed.map((m) => m.id)).not.toContain(monitor.id)
    const archivedMonitors = ok(
      await api.call(viewer, (client) => client.monitors.list({ urlParams: { state: "archived" } }))
    ).items
    expect(archivedMonitors.map((m) => m.id)).toContain(monitor.id)
    const paused = await api.call(editor, (client) => client.monitors.pause({ path: { id: monitor.id } }))
    expect(refusal(paused)).toMatchObject({ status: 404, code: "monitor_not_found" })
    expect(
      ok(await api.call(viewer, (client) => client.workflows.get({ path: { id: workflow.id } }))).state
    ).toBe("archived")
    expect(ok(await api.call(viewer, (client) => client.runs.get({ path: { id: run.runId } }))).id).toBe(
      run.runId
    )
    expect(await secretExists(secretRef)).toBe(false)
    // The name is free again.
    await register("retired")
  })

  it("an unknown server is 404", async () => {
    const unknown = await api.call(editor, (client) =>
      client.servers.delete({ path: { id: "00000000-0000-4000-8000-000000000000" }, urlParams: {} })
    )
    expect(refusal(unknown)).toMatchObject({ status: 404, code: "mcp_server_not_found" })
  })
})

describe.runIf(postgres.available)("DELETE /mcp-servers/{id}/auth-profiles/{profileId}", () => {
  it("deletes an unused profile and its secret (editor); a viewer is 403; in use or the last one is refused", async () => {
    const { server, authProfiles } = await register("profiles")
    const [none, ci] = authProfiles
    const monitor = await monitorOn(server.id, "with ci", ci!.id)

    const forbidden = await api.call(viewer, (client) =>
      client.servers.deleteAuthProfile({ path: { id: server.id, profileId: none!.id } })
    )
    expect(refusal(forbidden)).toMatchObject({ status: 403, code: "forbidden_role" })

    const inUse = await api.call(editor, (client) =>
      client.servers.deleteAuthProfile({ path: { id: server.id, profileId: ci!.id } })
    )
    expect(refusal(inUse)).toMatchObject({ status: 409, code: "conflict" })
    expect(inUse.ok ? null : inUse.error.details?.usedBy).toEqual([
      { type: "monitor", id: monitor.id, name: "with ci" }
    ])

    const unknown = await api.call(editor, (client) =>
      client.servers.deleteAuthProfile({ path: { id: server.id, profileId: "no-such-profile" } })
    )
    expect(refusal(unknown)).toMatchObject({ status: 404 })

    ok(
      await api.call(editor, (client) =>
        client.servers.deleteAuthProfile({ path: { id: server.id, profileId: none!.id } })
      )
    )
    const left = ok(
      await api.call(viewer, (client) => client.servers.listAuthProfiles({ path: { id: server.id } }))
    )
    expect(left.items.map((p) => p.id)).toEqual([ci!.id])

    ok(await api.call(editor, (client) => client.monitors.delete({ path: { id: monitor.id } })))
    const last = await api.call(editor, (client) =>
      client.servers.deleteAuthProfile({ path: { id: server.id, profileId: ci!.id } })
    )
    expect(refusal(last)).toMatchObject({ status: 409, code: "conflict", fields: ["profileId"] })
  })
})
