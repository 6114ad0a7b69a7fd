/**
 * `createArmature`, the Promise facade: options refused field by field before anything opens, a
 * refusal of a call rejected as an `ArmatureError` with the API's code, and a workflow run
 * through the scripted tester and judge on the real `ai` SDK path, on the embedded database.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { LanguageModels, SecretNotFound, SecretStore } from "@armature/core"
import { ScriptedModel } from "@armature/core/testing"
import { Effect, Layer, Option, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { ArmatureError, type ArmatureInstance, createArmature } from "../../src/index.js"
import { scriptedModels, tester } from "../support/scriptedModels.js"

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a rejection")
    },
    (error: unknown) => error as ArmatureError
  )

describe("options", () => {
  it("are refused with every field at fault named, and no secret in the message", async () => {
    const error = await rejection(
      createArmature({
        database: { url: "mysql://db.internal/armature", secretKey: "  " },
        publicUrl: "not a url",
        alerts: { resendApiKey: "re_live_secret" },
        worker: { concurrency: 0 }
      })
    )
    expect(error).toBeInstanceOf(ArmatureError)
    expect(error.code).toBe("validation_failed")
    expect(error.details?.fieldErrors?.map((f) => f.field)).toEqual([
      "database.url",
      "database.secretKey",
      "publicUrl",
      "alerts.emailFrom",
      "worker.concurrency"
    ])
    expect(error.message).not.toContain("re_live_secret")
  })

  it("without a database are refused", async () => {
    const error = await rejection(createArmature({} as never))
    expect(error.details?.fieldErrors?.map((f) => f.field)).toEqual(["database"])
  })
})

describe("the facade on the embedded database", () => {
  let demo: Awaited<ReturnType<typeof startDemoServer>>
  let armature: ArmatureInstance

  beforeAll(async () => {
    demo = await startDemoServer({ port: 0 })
    armature = await createArmature({
      database: "memory",
      network: { allowLoopback: true },
      models: scriptedModels,
      organization: { orgName: "Facade" }
    })
  }, 60_000)
  afterAll(async () => {
    await armature?.dispose()
    await demo?.close()
  })

  it("creates the organization and gives its owner key once", () => {
    expect(armature.organizationId).toMatch(/^[0-9a-f-]{36}$/)
    expect(armature.ownerKey).toMatch(/^amt_/)
  })

  it("rejects a bad input with the API's code and the field", async () => {
    const error = await rejection(armature.registerServer({ name: "", transport: "streamable_http" }))
    expect(error.code).toBe("validation_failed")
    expect(error.details?.fieldErrors?.map((f) => f.field)).toContain("name")
    const missing = await rejection(armature.getRun("00000000-0000-4000-8000-000000000000"))
    expect(missing.code).toBe("run_not_found")
    const server = await armature.registerServer({
      name: "quiet",
      transport: "streamable_http",
      baseUrl: demo.url
    })
    const monitor = await armature.createMonitor({
      name: "Never checked here",
      mcpServerId: server.server.id,
      toolName: "get_order",
      arguments: { orderId: "A-1001" },
      intervalSeconds: 60
    })
    // Nothing started yet: no check comes, and the wait says so with its own code.
    const waited = await rejection(armature.waitForCheck(monitor.id, { timeoutSeconds: 1 }))
    expect(waited.code).toBe("run_wait_timeout")
    expect(waited.message).toContain("is the worker started?")
  })

  it("refuses a stdio server: the embedding application allowed no command", async () => {
    const error = await rejection(
      armature.registerServer({ name: "shell", transport: "stdio", command: "sh", args: ["-c", "id"] })
    )
    expect(error.code).toBe("stdio_not_allowed")
  })

  it("runs a workflow once started, and finds it again", async () => {
    const { server } = await armature.registerServer({
      name: "demo-shop",
      transport: "streamable_http",
      baseUrl: demo.url
    })
    const { workflow } = await armature.createWorkflow({
      name: "Customer can look up an order",
      mcpServerId: server.id,
      prompt: "Find order A-1001 and tell the customer its status and total.",
      criteria: [{ text: "The agent looked the order up with get_order" }],
      testerModels: ["scripted:tester"],
      judgeModel: "scripted:judge"
    })
    await armature.start()
    const run = await armature.runWorkflow({ workflowId: workflow.id, waitSeconds: 60 })
    expect(run.status).toBe("pass")
    const { runs } = await armature.searchRuns({ workflowId: workflow.id })
    expect(runs.map((r) => r.runId)).toEqual([run.id])
    await armature.stop()
    await armature.stop() // stopping twice is harmless
  }, 90_000)
})

describe("adapters of the embedder's own", () => {
  it("replace the language models and the secret store", async () => {
    const stored = new Map<string, string>()
    const secrets = Layer.succeed(SecretStore, {
      put: (orgId, value) =>
        Effect.sync(() => {
          const ref = `vault:${orgId}:${stored.size + 1}`
          stored.set(ref, Redacted.value(value))
          return ref
        }),
      get: (_orgId, ref) =>
        Option.match(Option.fromNullable(stored.get(ref)), {
          onNone: () => Effect.fail(new SecretNotFound({ message: `No secret ${ref}`, ref })),
          onSome: (value) => Effect.succeed(Redacted.make(value))
        }),
      delete: (_orgId, ref) => Effect.sync(() => void stored.delete(ref)),
      matching: (_orgId, candidates) =>
        Effect.sync(() => new Set(candidates.filter((c) => [...stored.values()].includes(c))))
    })
    const demo = await startDemoServer({ port: 0 })
    // #region adapters
    const armature = await createArmature({
      database: "memory",
      network: { allowLoopback: true },
      languageModels: ScriptedModel.layer({ "scripted:tester": tester }),
      secretStore: secrets
    })
    // #endregion adapters
    try {
      const catalog = await armature.runtime.runPromise(Effect.flatMap(LanguageModels, (m) => m.catalog))
      expect(catalog.map((m) => m.id)).toEqual(["scripted:tester"])
      await armature.registerServer({
        name: "demo-shop",
        transport: "streamable_http",
        baseUrl: demo.url,
        authProfiles: [{ name: "default", kind: "bearer", token: "demo-token-123" }]
      })
      expect([...stored.values()]).toEqual(["demo-token-123"])
    } finally {
      await armature.dispose()
      await demo.close()
    }
  }, 60_000)
})

describe("tracing", () => {
  it("exports the spans of the facade's calls to the collector, flushed on dispose", async () => {
    const bodies: string[] = []
    const collector = createServer((req, res) => {
      let body = ""
      req.on("data", (chunk) => {
        body += chunk
      })
      req.on("end", () => {
        if (req.url === "/v1/traces") bodies.push(body)
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve))
    const { port } = collector.address() as AddressInfo
    const armature = await createArmature({
      database: "memory",
      tracing: { endpoint: `http://127.0.0.1:${port}/`, serviceName: "shop-backend" }
    })
    const error = await rejection(armature.createWorkflow({ name: "" }))
    expect(error.code).toBe("validation_failed")
    await armature.dispose()
    await new Promise<void>((resolve) => collector.close(() => resolve()))
    const received = bodies.join("\n")
    expect(received).toContain('"Workflows.create"')
    expect(received).toContain("shop-backend")
  }, 60_000)
})
