/**
 * The resources over the library handler and an in-memory store seeded directly: each resource
 * read by its own organization, each template refused with -32004 to another organization's key
 * (indistinguishable from an unknown id), and the prompts' wording against SPEC §9.5.
 */
import {
  ApiKeys,
  IdsLayer,
  LanguageModels,
  McpConnector,
  ProposalStore,
  RunStore,
  ServerStore,
  Servers,
  WorkflowStore
} from "@armature/core"
import { Fixtures, MemoryStore } from "@armature/core/testing"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { McpError } from "@modelcontextprotocol/sdk/types.js"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { McpHttp, PromptTable, ResourceTable } from "../src/index.js"

const model = {
  id: "openai:gpt-5-mini",
  displayName: "GPT-5 mini",
  provider: "openai",
  inputPricePerMTok: 0.25,
  outputPricePerMTok: 2
}

const runtime = ManagedRuntime.make(
  Layer.mergeAll(
    Layer.succeed(
      McpConnector,
      new Proxy(
        {},
        {
          get: () => {
            throw new Error("McpConnector is not used here")
          }
        }
      ) as never
    ),
    Layer.succeed(LanguageModels, { catalog: Effect.succeed([model]), resolve: () => Effect.die("unused") }),
    Layer.succeed(Servers.ServerPolicy, {
      allowInsecureHttp: false,
      probeTimeoutMs: 1000,
      apiStdioCommands: []
    }),
    IdsLayer.layer
  ).pipe(Layer.provideMerge(MemoryStore.layer))
)

const handler = McpHttp.toWebHandler(runtime, { allowedOrigins: [] })

const connect = async (token: string) => {
  const client = new Client({ name: "resources-test", version: "0.0.0" })
  await client.connect(
    new StreamableHTTPClientTransport(new URL("http://embedded.test/mcp"), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: (url, init) => handler(new Request(url, init))
    })
  )
  return client
}

const failure = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error("expected the call to fail")
    },
    (error: unknown) => {
      if (!(error instanceof McpError)) throw error
      return error
    }
  )

const orgA = "org-a"
const seeded = Effect.gen(function* () {
  const server = Fixtures.server(orgA)
  yield* Effect.flatMap(ServerStore, (s) => s.insertServer(server))
  yield* Effect.flatMap(ServerStore, (s) =>
    s.insertCatalogVersion(Fixtures.catalogVersion(orgA, server.id, 1))
  )
  const { workflow, version } = Fixtures.workflow(orgA, { mcpServerId: server.id })
  yield* Effect.flatMap(WorkflowStore, (s) => s.insertWorkflow(workflow, version))
  const run = Fixtures.run(orgA, {
    workflowId: workflow.id,
    mcpServerId: server.id,
    status: "fail",
    finalAnswer: "Shipped."
  })
  yield* Effect.flatMap(RunStore, (s) => s.insertRun(run))
  const proposal = Fixtures.proposal(orgA, { workflowId: workflow.id, baseVersionId: version.id })
  yield* Effect.flatMap(ProposalStore, (s) => s.insertProposal(proposal))
  return { server: server.id, workflow: workflow.id, run: run.id, proposal: proposal.id }
})

let ids: Effect.Effect.Success<typeof seeded>
let own: Client
let foreign: Client

beforeAll(async () => {
  ids = await runtime.runPromise(seeded)
  own = await connect((await runtime.runPromise(ApiKeys.mintForBootstrap(orgA, "a", "viewer", null))).token)
  foreign = await connect(
    (await runtime.runPromise(ApiKeys.mintForBootstrap("org-b", "b", "owner", null))).token
  )
})

afterAll(async () => {
  await own?.close()
  await foreign?.close()
  await runtime.dispose()
})

/** Every template with organization A's id filled in, and the not-found code it must give others. */
const templates = () =>
  [
    [`armature://runs/${ids.run}/trace`, "run_not_found"],
    [`armature://runs/${ids.run}/artifacts`, "run_not_found"],
    [`armature://workflow-change-proposals/${ids.proposal}`, "proposal_not_found"],
    [`armature://mcp-servers/${ids.server}/coverage`, "mcp_server_not_found"],
    [`armature://mcp-servers/${ids.server}/catalog`, "mcp_server_not_found"],
    [`armature://workflows/${ids.workflow}`, "workflow_not_found"]
  ] as const

const read = async (client: Client, uri: string) => {
  const { contents } = await client.readResource({ uri })
  expect(contents).toHaveLength(1)
  expect(contents[0]).toMatchObject({ uri, mimeType: "application/json" })
  return JSON.parse((contents[0] as { text: string }).text)
}

describe("resources over the library handler", () => {
  it("a viewer of the organization reads every resource as JSON", async () => {
    expect(templates().map(([uri]) => uri.replace(/[0-9a-f-]{36}/, "{id}"))).toEqual(
      ResourceTable.listedTemplates.map((t) => t.uriTemplate)
    )
    expect(await read(own, "armature://catalog/models")).toEqual({ models: [model] })
    expect((await read(own, "armature://schemas/workflow")).properties).toHaveProperty("criteria")
    expect(await read(own, templates()[1][0])).toMatchObject({
      runId: ids.run,
      status: "fail",
      finalAnswer: "Shipped."
    })
    for (const [uri] of templates()) expect(await read(own, uri)).toBeTypeOf("object")
  })

  it("another organization's ids are -32004 not found, as unknown ones are", async () => {
    for (const [uri, code] of templates()) {
      const error = await failure(foreign.readResource({ uri }))
      expect(error.code).toBe(-32004)
      expect((error.data as { code: string }).code).toBe(code)
    }
  })

  it("the prompts are listed to every role with their required arguments", async () => {
    const { prompts } = await own.listPrompts()
    expect(prompts.map((p) => [p.name, p.arguments])).toEqual(
      PromptTable.prompts.map((p) => [
        p.name,
        Object.keys(p.arguments).map((name) => expect.objectContaining({ name, required: true }))
      ])
    )
  })
})
