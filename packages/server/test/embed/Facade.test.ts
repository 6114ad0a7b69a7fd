/**
 * `createArmature`, the Promise facade: options refused field by field before anything opens, a
 * refusal of a call rejected as an `ArmatureError` with the API's code, and a workflow run
 * through the scripted tester and judge on the real `ai` SDK path, on the embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startDemoServer } from "../../../../examples/demo-mcp-server/server.js"
import { ArmatureError, type ArmatureInstance, createArmature } from "../../src/index.js"
import { scriptedModels } from "../support/scriptedModels.js"

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
