import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { WorkflowStore } from "../src/ports/WorkflowStore.js"
import * as Workflows from "../src/Workflows.js"
import {
  bareProfileId,
  bareServerId,
  callerOf,
  editor,
  fieldsOf,
  modelsLayer,
  orgId,
  otherOrgId,
  runSeeded,
  specInput,
  testLayer,
  viewer
} from "./workflowFixtures.js"

const run = runSeeded

const stored = Effect.flatMap(WorkflowStore, (s) => s.listWorkflows(orgId))

describe("create stores version 1 of a decoded, validated spec", () => {
  it.effect("fills defaults, assigns criterion ids c1, c2… and records the editor", () =>
    run(
      Effect.gen(function* () {
        const { workflow, version, warnings } = yield* Workflows.create(editor, specInput())
        expect(workflow.version).toBe(1)
        expect(workflow.state).toBe("active")
        expect(workflow.currentVersionId).toBe(version.id)
        expect(version.createdBy).toBe("key-editor")
        expect(workflow.spec.criteria.map((c) => [c.id, c.required])).toEqual([
          ["c1", true],
          ["c2", true],
          ["c3", false]
        ])
        expect(workflow.spec.limits.maxSteps).toBe(20)
        expect(workflow.spec.assertions).toEqual([])
        expect(warnings).toEqual([])
        expect(yield* Workflows.get(viewer, workflow.id)).toEqual(workflow)
        expect((yield* Workflows.versions(viewer, workflow.id)).map((v) => v.version)).toEqual([1])
      })
    )
  )

  it.effect("keeps explicit criterion ids and gives the others ids that do not collide", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(
          editor,
          specInput({ criteria: [{ text: "a" }, { id: "c1", text: "b" }, { text: "c" }] })
        )
        expect(workflow.spec.criteria.map((c) => c.id)).toEqual(["c2", "c1", "c3"])
      })
    )
  )

  it.effect("a member without key is recorded as the editor", () =>
    run(
      Effect.gen(function* () {
        const caller = { orgId, actor: { keyId: null, memberId: "member-7", role: "admin" as const } }
        const { version } = yield* Workflows.create(caller, specInput())
        expect(version.createdBy).toBe("member-7")
      })
    )
  )
})

describe("validation names every offending field and stores nothing", () => {
  it.effect("schema errors: every field path, not only the first", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Workflows.create(
            editor,
            specInput({
              name: "",
              testerModels: [],
              judgeModel: "not a model",
              limits: { maxSteps: 0 },
              criteria: [{ text: "ok", required: "yes" }],
              colour: "blue"
            })
          )
        )
        expect(error._tag).toBe("ValidationFailed")
        expect(fieldsOf(error)).toEqual(
          expect.arrayContaining([
            "name",
            "testerModels",
            "judgeModel",
            "limits.maxSteps",
            "criteria[0].required",
            "colour"
          ])
        )
        expect(yield* stored).toEqual([])
      })
    )
  )

  it.effect("semantic errors: server, profile, criteria, schedule, models, tools, limits", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Workflows.create(
            editor,
            specInput({
              authProfileId: bareProfileId,
              criteria: [
                { id: "a", text: "x", required: false },
                { id: "a", text: "y", required: false }
              ],
              schedule: { cron: "61 * * * *", timezone: "Mars/Olympus" },
              testerModels: ["openai:gpt-5-mini", "openai:gpt-9"],
              judgeModel: "acme:judge",
              toolPolicy: { allowedTools: ["get_order", "get_ordr", "list_*"] },
              setup: [{ tool: "seed_db" }],
              assertions: [
                { type: "tool_called", tool: "missing_tool" },
                { type: "tool_not_called", tool: "also_missing" }
              ],
              limits: { callTimeoutSeconds: 120, callTimeoutCapSeconds: 60 },
              prompt: "Use {{vars.customer}}"
            })
          )
        )
        expect(error.code).toBe("validation_failed")
        expect(fieldsOf(error).sort()).toEqual(
          [
            "authProfileId",
            "criteria",
            "criteria[1].id",
            "schedule.cron",
            "schedule.timezone",
            "testerModels[1]",
            "judgeModel",
            "toolPolicy.allowedTools[1]",
            "setup[0].tool",
            "assertions[0].tool",
            "limits.callTimeoutSeconds",
            "prompt"
          ].sort()
        )
        expect(error.message).toContain("toolPolicy.allowedTools[1]")
        expect(yield* stored).toEqual([])
      })
    )
  )

  it.effect("an unknown server is named on mcpServerId", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Workflows.create(editor, specInput({ mcpServerId: "nope", authProfileId: null }))
        )
        expect(fieldsOf(error)).toEqual(["mcpServerId"])
      })
    )
  )

  it.effect("a server of another organization is unknown", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(Workflows.create(callerOf("editor", otherOrgId), specInput()))
        expect(fieldsOf(error)).toEqual(expect.arrayContaining(["mcpServerId", "authProfileId"]))
      })
    )
  )

  it.effect("input that is not an object fails with validation_failed, never throws", () =>
    run(
      Effect.gen(function* () {
        for (const input of [null, 42, "spec", [], undefined]) {
          const error = yield* Effect.flip(Workflows.create(editor, input))
          expect(error._tag).toBe("ValidationFailed")
        }
      })
    )
  )
})

describe("deployments without models, servers without a catalog", () => {
  it.effect("an empty model catalog accepts any well-formed model id, with a warning", () =>
    run(
      Effect.gen(function* () {
        const { workflow, warnings } = yield* Workflows.create(
          editor,
          specInput({ testerModels: ["custom:whatever"], judgeModel: "custom:judge" })
        )
        expect(workflow.spec.testerModels).toEqual(["custom:whatever"])
        expect(warnings.join(" ")).toMatch(/No language model is configured/)
      }),
      testLayer(modelsLayer([]))
    )
  )

  it.effect("without a catalog, tool names are not checked and a warning says so", () =>
    run(
      Effect.gen(function* () {
        const { warnings } = yield* Workflows.create(
          editor,
          specInput({
            mcpServerId: bareServerId,
            authProfileId: bareProfileId,
            toolPolicy: { allowedTools: ["anything"] }
          })
        )
        expect(warnings.join(" ")).toMatch(/no tool catalog/)
      })
    )
  )

  it.effect("glob entries need not match an exact tool; unknown denied tools only warn", () =>
    run(
      Effect.gen(function* () {
        const { warnings } = yield* Workflows.create(
          editor,
          specInput({ toolPolicy: { allowedTools: ["zzz_*"], deniedTools: ["gone_tool"] } })
        )
        expect(warnings).toHaveLength(2)
      })
    )
  )
})

describe("every update creates a new immutable version", () => {
  it.effect("a full spec and partial changes each append a version; old versions keep their spec", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(editor, specInput({ limits: { timeoutSeconds: 120 } }))
        const v2 = yield* Workflows.update(editor, workflow.id, {
          spec: specInput({ name: "Order lookup v2", limits: { timeoutSeconds: 120 } })
        })
        expect(v2.version.version).toBe(2)
        expect(v2.workflow.spec.name).toBe("Order lookup v2")
        const v3 = yield* Workflows.update(
          callerOf("admin"),
          workflow.id,
          { changes: { prompt: "Find order 43.", limits: { maxSteps: 40 } } },
          v2.version.id
        )
        expect(v3.version.version).toBe(3)
        expect(v3.version.createdBy).toBe("key-admin")
        expect(v3.workflow.spec.name).toBe("Order lookup v2")
        expect(v3.workflow.spec.prompt).toBe("Find order 43.")
        // A partial `limits` change keeps the limits it does not name.
        expect(v3.workflow.spec.limits).toMatchObject({ maxSteps: 40, timeoutSeconds: 120 })

        const current = yield* Workflows.get(viewer, workflow.id)
        expect(current.version).toBe(3)
        expect(current.currentVersionId).toBe(v3.version.id)
        const all = yield* Workflows.versions(viewer, workflow.id)
        expect(all.map((v) => v.version)).toEqual([3, 2, 1])
        const first = yield* Workflows.getVersion(viewer, workflow.id, workflow.currentVersionId)
        expect(first.spec.name).toBe("Order lookup")
        expect(first.spec.prompt).toBe("Look up order 42 and report its status.")
        const diff = yield* Workflows.diffVersions(
          viewer,
          workflow.id,
          workflow.currentVersionId,
          v3.version.id
        )
        expect(diff.map((d) => d.field).sort()).toEqual(["limits", "name", "prompt"])
        expect(diff.find((d) => d.field === "prompt")).toEqual({
          field: "prompt",
          before: "Look up order 42 and report its status.",
          after: "Find order 43."
        })
        const other = yield* Workflows.create(editor, specInput({ name: "Other" }))
        const foreign = yield* Effect.flip(
          Workflows.diffVersions(
            viewer,
            workflow.id,
            workflow.currentVersionId,
            other.workflow.currentVersionId
          )
        )
        expect(foreign.code).toBe("workflow_not_found")
      })
    )
  )

  it.effect("a stale expectedVersionId fails with version_conflict and stores nothing", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(editor, specInput())
        yield* Workflows.update(editor, workflow.id, { changes: { name: "B" } }, workflow.currentVersionId)
        const error = yield* Effect.flip(
          Workflows.update(editor, workflow.id, { changes: { name: "C" } }, workflow.currentVersionId)
        )
        expect(error.code).toBe("version_conflict")
        expect((yield* Workflows.versions(viewer, workflow.id)).length).toBe(2)
      })
    )
  )

  it.effect("an invalid update names the changed field and stores no version", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(editor, specInput())
        const error = yield* Effect.flip(
          Workflows.update(editor, workflow.id, {
            changes: { testerModels: ["openai:nope"], schedule: { cron: "* *" } }
          })
        )
        expect(fieldsOf(error).sort()).toEqual(["schedule.cron", "testerModels[0]"])
        const both = yield* Effect.flip(
          Workflows.update(editor, workflow.id, { spec: specInput(), changes: {} })
        )
        expect(fieldsOf(both)).toEqual(["spec"])
        expect((yield* Workflows.versions(viewer, workflow.id)).length).toBe(1)
      })
    )
  )

  it.effect("problems of fields an edit does not touch are warnings, not errors", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(editor, specInput())
        // The deployment dropped a model after the workflow was created.
        const saved = yield* Workflows.update(editor, workflow.id, { changes: { name: "Renamed" } }).pipe(
          Effect.provide(modelsLayer(["openai:gpt-5-mini", "openai:gpt-5"]))
        )
        expect(saved.version.version).toBe(2)
        expect(saved.warnings.join(" ")).toMatch(/testerModels\[1\]/)
      })
    )
  )
})

describe("reads, state and not-found", () => {
  it.effect("list filters by server and state; setState pauses and resumes", () =>
    run(
      Effect.gen(function* () {
        const a = yield* Workflows.create(editor, specInput({ name: "A" }))
        yield* Workflows.create(
          editor,
          specInput({ name: "B", mcpServerId: bareServerId, authProfileId: bareProfileId, toolPolicy: {} })
        )
        const paused = yield* Workflows.setState(editor, a.workflow.id, "paused")
        expect(paused.state).toBe("paused")
        expect((yield* Workflows.list(viewer, { state: "paused" })).items.map((w) => w.spec.name)).toEqual([
          "A"
        ])
        expect(
          (yield* Workflows.list(viewer, { mcpServerId: bareServerId })).items.map((w) => w.spec.name)
        ).toEqual(["B"])
        expect((yield* Workflows.list(viewer)).items.length).toBe(2)
        expect((yield* Workflows.get(viewer, a.workflow.id)).state).toBe("paused")
        const bad = yield* Effect.flip(Workflows.setState(editor, a.workflow.id, "deleted" as never))
        expect(new Set(fieldsOf(bad))).toEqual(new Set(["state"]))
      })
    )
  )

  it.effect("unknown ids and ids of another organization are workflow_not_found", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(editor, specInput())
        const missing = yield* Effect.flip(Workflows.get(viewer, "nope"))
        expect(missing.code).toBe("workflow_not_found")
        const foreign = yield* Effect.flip(Workflows.get(callerOf("owner", otherOrgId), workflow.id))
        expect(foreign.code).toBe("workflow_not_found")
        const version = yield* Effect.flip(
          Workflows.getVersion(viewer, "other-workflow", workflow.currentVersionId)
        )
        expect(version.code).toBe("workflow_not_found")
      })
    )
  )
})

describe("models", () => {
  it.effect("lists the deployment's model catalog to any role", () =>
    run(
      Effect.gen(function* () {
        const listed = yield* Workflows.models(viewer)
        expect(listed.map((m) => m.id)).toEqual(["openai:gpt-5-mini", "openai:gpt-5", "anthropic:claude"])
        expect(yield* Workflows.models(callerOf("owner"))).toEqual(listed)
      })
    )
  )
})

describe("roles", () => {
  it.effect("a viewer can read but cannot create, update or pause", () =>
    run(
      Effect.gen(function* () {
        const denied = yield* Effect.flip(Workflows.create(viewer, specInput()))
        expect(denied.code).toBe("forbidden_role")
        expect(yield* stored).toEqual([])
        const { workflow } = yield* Workflows.create(editor, specInput())
        expect(
          (yield* Effect.flip(Workflows.update(viewer, workflow.id, { changes: { name: "x" } }))).code
        ).toBe("forbidden_role")
        expect((yield* Effect.flip(Workflows.setState(viewer, workflow.id, "paused"))).code).toBe(
          "forbidden_role"
        )
        expect((yield* Workflows.list(viewer)).items.length).toBe(1)
      })
    )
  )
})

describe("bad input from untyped callers fails with typed errors, never a throw", () => {
  it.effect("an update that is not an object is validation_failed at (root)", () =>
    run(
      Effect.gen(function* () {
        const { workflow } = yield* Workflows.create(editor, specInput())
        for (const input of [undefined, null, "spec", 42]) {
          const error = yield* Effect.flip(Workflows.update(editor, workflow.id, input as never))
          expect(error._tag).toBe("ValidationFailed")
          expect(fieldsOf(error)).toEqual(["(root)"])
        }
        expect((yield* Workflows.get(viewer, workflow.id)).version).toBe(1)
      })
    )
  )

  it.effect("an id that is not a string is not found", () =>
    run(
      Effect.gen(function* () {
        for (const id of [undefined, 123, { id: "x" }]) {
          const error = yield* Effect.flip(Workflows.get(viewer, id as never))
          expect(error._tag).toBe("NotFound")
          expect(error.code).toBe("workflow_not_found")
        }
      })
    )
  )
})
