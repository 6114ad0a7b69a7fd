/**
 * Cursor pagination of every workspace list over REST (servers, workflows, monitors, API keys,
 * members, invitations), on PostgreSQL, through the typed client: pages of `limit` follow each
 * other by `nextCursor` in creation order without a repeat or a gap, the last page says `null`,
 * and a bad `limit` or `cursor` is a 400 naming it. Also the ownership transfer (owner only).
 */

import type { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import type { Client } from "../../src/api.js"
import { ok, postgresApi, refusal, type Team } from "./support/postgresApi.js"

const postgres = await postgresApi("packages/server/test/http/Pagination.test.ts")

let team: Team
let demo: Awaited<ReturnType<typeof startDemoServer>>

beforeAll(async () => {
  if (!postgres.available) return
  demo = await startDemoServer({ port: 0 })
  team = await postgres.start()
  const { api, editor, admin } = team
  for (const n of [1, 2, 3, 4, 5]) {
    const { server } = ok(
      await api.call(editor, (c) => c.servers.create({ payload: { name: `server ${n}`, baseUrl: demo.url } }))
    )
    ok(
      await api.call(editor, (c) =>
        c.monitors.create({
          payload: {
            name: `monitor ${n}`,
            mcpServerId: server.id,
            toolName: "get_order",
            arguments: { orderId: "A-1001" }
          }
        })
      )
    )
    ok(
      await api.call(editor, (c) =>
        c.workflows.create({
          payload: {
            name: `workflow ${n}`,
            mcpServerId: server.id,
            prompt: "Find order A-1001.",
            criteria: [{ text: "The agent called get_order" }],
            testerModels: ["scripted:tester"],
            judgeModel: "scripted:judge"
          }
        })
      )
    )
    ok(await api.call(admin, (c) => c.team.createKey({ payload: { name: `key ${n}`, role: "viewer" } })))
    const invited = ok(await api.call(admin, (c) => c.team.invite({ payload: { role: "viewer" } })))
    // Three of the five invitations are accepted: three more members, two pending invitations.
    if (n <= 3) {
      ok(
        await api.call("", (c) =>
          c.invitations.accept({
            payload: { token: invited.token, email: `member${n}@example.com`, name: `Member ${n}` }
          })
        )
      )
    }
  }
}, 180_000)

afterAll(async () => {
  await postgres.stop()
  await demo?.close()
}, 60_000)

type Params = { readonly limit?: string; readonly cursor?: string }
type Lister = (
  client: Client,
  urlParams: Params
) => Effect.Effect<
  { readonly items: ReadonlyArray<{ readonly id: string }>; readonly nextCursor: string | null },
  unknown
>

const lists: ReadonlyArray<[string, "viewer" | "admin", Lister, number]> = [
  ["servers", "viewer", (c, urlParams) => c.servers.list({ urlParams }), 5],
  ["workflows", "viewer", (c, urlParams) => c.workflows.list({ urlParams }), 5],
  ["monitors", "viewer", (c, urlParams) => c.monitors.list({ urlParams }), 5],
  // The owner's key, one per role below it, and five more.
  ["api keys", "admin", (c, urlParams) => c.team.listKeys({ urlParams }), 4 + 5 + 3],
  ["members", "admin", (c, urlParams) => c.team.listMembers({ urlParams }), 1 + 3],
  ["invitations", "admin", (c, urlParams) => c.team.listInvitations({ urlParams }), 2]
]

describe.runIf(postgres.available)("every list pages by cursor", () => {
  for (const [name, role, list, count] of lists) {
    it(`${name}: pages of 2 follow each other in creation order; bad limit and cursor are named`, async () => {
      const token = team[role === "viewer" ? "viewer" : "admin"]
      const all = ok(await team.api.call(token, (c) => list(c, {})))
      expect(all.items).toHaveLength(count)
      expect(all.nextCursor).toBeNull()
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = ok(
          await team.api.call(token, (c) =>
            list(c, { limit: "2", ...(cursor === undefined ? {} : { cursor }) })
          )
        )
        expect(page.items.length).toBeLessThanOrEqual(2)
        seen.push(...page.items.map((i) => i.id))
        cursor = page.nextCursor ?? undefined
        pages++
      } while (cursor !== undefined && pages < 20)
      expect(seen).toEqual(all.items.map((i) => i.id))
      expect(pages).toBe(Math.ceil(count / 2))

      for (const limit of ["0", "501", "ten"]) {
        expect(refusal(await team.api.call(token, (c) => list(c, { limit })))).toMatchObject({
          status: 400,
          fields: ["limit"]
        })
      }
      expect(refusal(await team.api.call(token, (c) => list(c, { cursor: "not-a-cursor" })))).toMatchObject({
        status: 400,
        fields: ["cursor"]
      })
    })
  }

  it("an editor may not page through keys, members or invitations (403)", async () => {
    for (const [, role, list] of lists) {
      if (role !== "admin") continue
      expect(refusal(await team.api.call(team.editor, (c) => list(c, { limit: "2" })))).toMatchObject({
        status: 403,
        code: "forbidden_role"
      })
    }
  })
})

describe.runIf(postgres.available)("POST /members/{id}/transfer-ownership", () => {
  it("the owner hands over and becomes an admin; an admin is 403; the owner already is a 400 naming memberId", async () => {
    const { api, admin, owner } = team
    const members = ok(await api.call(admin, (c) => c.team.listMembers({ urlParams: {} }))).items
    const current = members.find((m) => m.role === "owner")!
    const next = members.find((m) => m.email === "member1@example.com")!

    expect(
      refusal(await api.call(admin, (c) => c.team.transferOwnership({ path: { id: next.id } })))
    ).toMatchObject({ status: 403, code: "forbidden_role" })
    expect(
      refusal(await api.call(owner.token, (c) => c.team.transferOwnership({ path: { id: current.id } })))
    ).toMatchObject({ status: 400, code: "validation_failed", fields: ["memberId"] })

    const moved = ok(await api.call(owner.token, (c) => c.team.transferOwnership({ path: { id: next.id } })))
    expect(moved.owner).toMatchObject({ id: next.id, role: "owner" })
    expect(moved.previousOwner).toMatchObject({ id: current.id, role: "admin" })
    const after = ok(await api.call(admin, (c) => c.team.listMembers({ urlParams: {} }))).items
    expect(after.filter((m) => m.role === "owner").map((m) => m.id)).toEqual([next.id])
    // The previous owner's key now acts as an admin: it can no longer hand the organization on.
    expect(
      refusal(await api.call(owner.token, (c) => c.team.transferOwnership({ path: { id: current.id } })))
    ).toMatchObject({ status: 403, code: "forbidden_role" })
  })
})
