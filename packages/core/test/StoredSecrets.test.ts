/**
 * `secret_in_arguments` (SPEC §9.2) covers what looks like a credential and any value equal to a
 * secret the organization stores: in monitor arguments (every step), workflow prompt variables
 * and a run's reason — everything that is stored and shown in plain text.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted } from "effect"
import * as Monitors from "../src/Monitors.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import { SecretStore } from "../src/ports/SecretStore.js"
import * as Runs from "../src/Runs.js"
import * as Workflows from "../src/Workflows.js"
import { connectorLayer, fakeServer } from "./useCaseSupport.js"
import {
  editor,
  type FixtureServices,
  orgId,
  otherOrgId,
  seed,
  serverId,
  specInput,
  testLayer
} from "./workflowFixtures.js"

const stored = "orders-api-key-7f3a9c"

/** Monitors need a connector to reprobe; the refusals under test come before any connection. */
const run = <A, E>(effect: Effect.Effect<A, E, FixtureServices | McpConnector>) =>
  Effect.zipRight(
    Effect.zipRight(
      seed,
      Effect.flatMap(SecretStore, (s) => s.put(orgId, Redacted.make(stored)))
    ),
    effect
  ).pipe(Effect.provide(Layer.merge(testLayer(), connectorLayer(fakeServer()))))

const refusal = <A>(exit: Exit.Exit<A, unknown>) => {
  const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? (exit.cause.error as any) : null
  expect(error?.code).toBe("secret_in_arguments")
  return (error.fieldErrors as Array<{ field: string; message: string }>).map((f) => f.field)
}

describe("a stored secret repeated as an argument is refused, naming the field", () => {
  it.effect("in monitor arguments, at every step", () =>
    run(
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          Monitors.create(editor, {
            name: "orders",
            mcpServerId: serverId,
            toolName: "get_order",
            arguments: { id: stored },
            nextSteps: [{ toolName: "get_order", arguments: { id: "A-1", note: `Bearer ${"x".repeat(20)}` } }]
          })
        )
        expect(refusal(exit)).toEqual(["arguments.id", "nextSteps[0].arguments.note"])
        expect((yield* Monitors.list(editor)).items).toEqual([])
      })
    )
  )

  it.effect("in workflow variables, on create and on edit", () =>
    run(
      Effect.gen(function* () {
        const created = yield* Effect.exit(
          Workflows.create(editor, specInput({ variables: { TOKEN: stored } }))
        )
        expect(refusal(created)).toEqual(["variables.TOKEN"])
        const { workflow } = yield* Workflows.create(editor, specInput({ variables: { SKU: "A-1" } }))
        const edited = yield* Effect.exit(
          Workflows.update(editor, workflow.id, { changes: { variables: { SKU: stored } } })
        )
        expect(refusal(edited)).toEqual(["variables.SKU"])
        expect((yield* Workflows.get(editor, workflow.id)).version).toBe(1)
      })
    )
  )

  it.effect("in a run's reason; another organization's secret is just text", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(editor, specInput())
        const exit = yield* Effect.exit(Runs.dispatch(editor, { workflowId: workflow.id, reason: stored }))
        expect(refusal(exit)).toEqual(["reason"])
        yield* Effect.flatMap(SecretStore, (s) => s.put(otherOrgId, Redacted.make("other-org-secret-1")))
        yield* Runs.dispatch(editor, { workflowId: workflow.id, reason: "other-org-secret-1" })
      })
    )
  )
})
