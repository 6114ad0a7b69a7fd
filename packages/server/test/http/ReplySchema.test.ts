/**
 * A reply that does not match its own declared schema is the server's fault: HttpApi reports it
 * with the same error as a bad query parameter, and the API must not turn it into a 400 that
 * blames the caller. Provoked with a row a store accepted but the API's schema does not (an
 * organization name longer than the API allows, written behind the API's back).
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiServer, startApiServer } from "./support/apiServer.js"
import { ok, refusal } from "./support/postgresApi.js"

let api: ApiServer
let owner: Awaited<ReturnType<ApiServer["organization"]>>

beforeAll(async () => {
  api = await startApiServer("pglite")
  owner = await api.organization("Acme")
}, 60_000)

afterAll(async () => {
  await api?.close()
})

describe("a reply that fails its declared schema", () => {
  it("is a 500 internal_error, not a 400 about the request; a bad query parameter is still a 400", async () => {
    expect(ok(await api.call(owner.token, (client) => client.org.get())).organization.name).toBe("Acme")
    await api.run(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql`UPDATE organizations SET name = ${"x".repeat(300)} WHERE id = ${owner.orgId}`
      )
    )
    const reply = await api.request("GET", "/org", { token: owner.token })
    expect(reply.status).toBe(500)
    expect(reply.body).toEqual({
      error: { code: "internal_error", message: "An unexpected error occurred." }
    })

    const badParameter = await api.call(owner.token, (client) =>
      client.org.audit({ urlParams: { limit: "zero" } })
    )
    expect(refusal(badParameter)).toMatchObject({ status: 400, code: "validation_failed", fields: ["limit"] })
  })
})
