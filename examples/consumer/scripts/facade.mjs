/**
 * A consumer of the published packages through the Promise facade, in plain JavaScript: Armature
 * embedded in a Node HTTP server, monitoring the MCP API it serves there.
 *
 * `createArmature` on embedded PGlite in memory; its routes served by `node:http` through
 * `nodeHandler`; that MCP endpoint registered as a server with the owner's key as its bearer
 * secret; a monitor of its `get_organization_health` tool; the worker started; the first check
 * awaited. A refused call must reject with an `ArmatureError` naming the field. The language
 * models are a scripted one from `@armature/core/testing/doubles`, which loads without vitest.
 *
 * Prints one JSON line: `{ ok, ... }`, `ok` true when the check passed and every step held.
 */
import { createServer } from "node:http"
import { LanguageModels } from "@armature/core"
import { ScriptedModel } from "@armature/core/testing/doubles"
import { ArmatureError, createArmature } from "@armature/server"
import { Effect } from "effect"

// The testing kit's doubles load without vitest: a scripted model as the whole LanguageModels.
const scripted = ScriptedModel.make({ id: "scripted:tester", steps: () => ({ text: "All good." }) })
const armature = await createArmature({
  database: "memory",
  network: { allowLoopback: true },
  languageModels: ScriptedModel.layer({ "scripted:tester": scripted })
})
const http = createServer(armature.nodeHandler)
await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve))
const base = `http://127.0.0.1:${http.address().port}`

try {
  const { server, probe } = await armature.registerServer({
    name: "Armature MCP API",
    baseUrl: `${base}/api/mcp`,
    authProfiles: [{ name: "owner key", kind: "bearer", token: armature.ownerKey }]
  })
  const monitor = await armature.createMonitor({
    name: "Organization health answers",
    mcpServerId: server.id,
    toolName: "get_organization_health",
    assertions: [{ type: "jsonPath", path: "$.windowDays", equals: 7 }],
    intervalSeconds: 60
  })
  await armature.start()
  const check = await armature.waitForCheck(monitor.id, { after: monitor.createdAt, timeoutSeconds: 60 })
  const refused = await armature.createMonitor({ name: "", mcpServerId: server.id }).catch((error) => error)
  const health = await fetch(`${base}/healthz`)
  const catalog = await armature.runtime.runPromise(Effect.flatMap(LanguageModels, (m) => m.catalog))
  console.log(
    JSON.stringify({
      ok:
        probe.ok &&
        check.outcome === "pass" &&
        refused instanceof ArmatureError &&
        refused.code === "validation_failed" &&
        refused.details.fieldErrors.some((f) => f.field === "toolName") &&
        health.ok &&
        catalog.map((m) => m.id).join() === "scripted:tester",
      outcome: check.outcome,
      error: check.error,
      refused: refused?.code
    })
  )
} finally {
  await armature.dispose()
  http.close()
}
