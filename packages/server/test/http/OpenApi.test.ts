/**
 * The OpenAPI document at `/api/armature/v1/openapi.json` validates against the OpenAPI schema
 * of its version (`@seriousme/openapi-schema-validator`), and names, for every route, the schema
 * of its success response and, for every route that takes a body, the schema of that body.
 */
import { Validator } from "@seriousme/openapi-schema-validator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiServer, startApiServer } from "./support/apiServer.js"

let api: ApiServer
let document: any

beforeAll(async () => {
  api = await startApiServer("memory")
  document = (await api.request("GET", "/openapi.json", { token: null })).body
}, 60_000)
afterAll(async () => {
  await api?.close()
})

const operations = () =>
  Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation }))
  )

describe("the OpenAPI document", () => {
  it("validates against the OpenAPI schema of its version", async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(document))
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 2000)).toEqual([])
    expect(result.valid).toBe(true)
    expect(document.openapi).toMatch(/^3\.1\./)
  })

  it("names every route's success schema and every body's schema", () => {
    const missing: string[] = []
    for (const { path, method, operation } of operations()) {
      const successes = Object.entries(operation.responses ?? {}).filter(([status]) => status.startsWith("2"))
      if (successes.length === 0) missing.push(`${method} ${path}: no success response`)
      for (const [status, response] of successes as Array<[string, any]>) {
        if (status === "204") continue
        if (response.content?.["application/json"]?.schema === undefined)
          missing.push(`${method} ${path}: ${status} without a JSON schema`)
      }
      if (["post", "put", "patch"].includes(method) && operation.requestBody !== undefined) {
        if (operation.requestBody.content?.["application/json"]?.schema === undefined)
          missing.push(`${method} ${path}: a body without a schema`)
      }
    }
    expect(missing).toEqual([])
    expect(operations().length).toBeGreaterThan(50)
  })
})
