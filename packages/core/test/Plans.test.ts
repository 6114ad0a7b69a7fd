import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, TestClock } from "effect"
import * as ApiKeys from "../src/ApiKeys.js"
import type { Caller } from "../src/domain/Audit.js"
import type { Subscription } from "../src/domain/Organization.js"
import { toApiErrorBody } from "../src/Errors.js"
import * as Plans from "../src/Plans.js"
import type { McpConnector } from "../src/ports/McpConnector.js"
import { OrgStore } from "../src/ports/OrgStore.js"
import { RunStore } from "../src/ports/RunStore.js"
import * as Roles from "../src/Roles.js"
import * as Runs from "../src/Runs.js"
import * as Scheduler from "../src/Scheduler.js"
import * as Servers from "../src/Servers.js"
import * as Team from "../src/Team.js"
import { run as storedRun } from "../src/testing/contracts/fixtures.js"
import * as Workflows from "../src/Workflows.js"
import { connectorLayer, fakeServer, type TestServices, testLayer } from "./useCaseSupport.js"
import * as Fixtures from "./workflowFixtures.js"

const connector = connectorLayer(fakeServer())

/** The in-memory store without plan enforcement: a self-hosted deployment. */
const selfHosted = <A, E>(effect: Effect.Effect<A, E, TestServices<McpConnector>>) =>
  effect.pipe(Effect.provide(testLayer(connector)))

/** The in-memory store with plans enforced: a hosted deployment. */
const hosted = <A, E>(effect: Effect.Effect<A, E, TestServices<McpConnector> | Plans.Enforcement>) =>
  effect.pipe(Effect.provide(Layer.provideMerge(Plans.layer, testLayer(connector))))

const failureOf = <A>(exit: Exit.Exit<A, unknown>): any => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail")
    throw new Error(`expected a failure, got ${exit._tag}`)
  return exit.cause.error
}

/** An organization, its owner caller and the owner's token. */
const org = Effect.gen(function* () {
  const created = yield* Team.createOrganization({
    name: "Acme",
    ownerEmail: "owner@acme.io",
    ownerName: "Olive"
  })
  const owner: Caller = {
    orgId: created.organization.id,
    actor: { keyId: null, memberId: created.owner.id, role: "owner" }
  }
  return { ...created, owner }
})

const register = (caller: Caller, n: number) =>
  Servers.register(caller, { name: `Server ${n}`, baseUrl: `https://s${n}.example.com/mcp` })

const subscribe = (orgId: string, s: Partial<Subscription>) =>
  Effect.flatMap(OrgStore, (store) =>
    store.putSubscription({ orgId, planId: "team", status: "active", currentPeriodEnd: null, ...s })
  )

describe("the plan table", () => {
  it("limits free below team below business, and a self-hosted deployment not at all", () => {
    const order = [Plans.plans.free, Plans.plans.team, Plans.plans.business]
    for (const limit of [
      "maxServers",
      "maxWorkflows",
      "maxMonitors",
      "maxRunsPerMonth",
      "maxMembers"
    ] as const) {
      assert.isTrue(order[0]![limit] < order[1]![limit] && order[1]![limit] < order[2]![limit], limit)
      assert.isNull(Plans.unlimited[limit])
    }
  })

  it("counts an unknown plan id as free, never as unlimited", () => {
    assert.deepStrictEqual(Plans.planOf("enterprise-2019"), Plans.plans.free)
  })
})

describe("a lapsed subscription", () => {
  const now = new Date("2026-06-15T00:00:00Z")
  const sub = (status: Subscription["status"], end: string | null): Subscription => ({
    orgId: "o",
    planId: "team",
    status,
    currentPeriodEnd: end === null ? null : new Date(end)
  })

  it("is never lapsed without a subscription (free) or while active", () => {
    assert.isFalse(Plans.lapsed(null, now))
    assert.isFalse(Plans.lapsed(sub("active", "2026-01-01T00:00:00Z"), now))
  })

  it("is lapsed when canceled, and when past due beyond the period end", () => {
    assert.isTrue(Plans.lapsed(sub("canceled", "2027-01-01T00:00:00Z"), now))
    assert.isFalse(Plans.lapsed(sub("past_due", "2026-06-20T00:00:00Z"), now))
    assert.isTrue(Plans.lapsed(sub("past_due", "2026-06-10T00:00:00Z"), now))
    assert.isTrue(Plans.lapsed(sub("past_due", null), now))
  })
})

describe("quota_exceeded", () => {
  it.effect("refuses a create past the free plan's limit, naming the limit, the plan and the count", () =>
    hosted(
      Effect.gen(function* () {
        const { owner } = yield* org
        yield* register(owner, 1)
        yield* register(owner, 2)
        const error = failureOf(yield* Effect.exit(register(owner, 3)))
        expect(error._tag).toBe("QuotaExceeded")
        expect(error.limit).toBe("maxServers")
        expect(error.message).toContain("Free plan allows 2 MCP servers")
        expect(error.message).toContain("has 2")
        const body = toApiErrorBody(error)
        expect(body.code).toBe("quota_exceeded")
        expect(body.details?.fieldErrors?.[0]?.field).toBe("maxServers")
      })
    )
  )

  it.effect("allows the create once the organization is on a larger plan", () =>
    hosted(
      Effect.gen(function* () {
        const { owner } = yield* org
        yield* register(owner, 1)
        yield* register(owner, 2)
        yield* subscribe(owner.orgId, { planId: "team" })
        yield* register(owner, 3)
        const usage = (yield* Plans.overview(owner)).usage
        expect(usage.servers).toBe(3)
      })
    )
  )

  it.effect("counts members when an invitation is accepted", () =>
    hosted(
      Effect.gen(function* () {
        const { owner } = yield* org
        const accept = (n: number) =>
          Effect.flatMap(Team.invite(owner, { role: "viewer" }), ({ token }) =>
            Team.acceptInvitation(token, { email: `m${n}@acme.io`, name: `M${n}` })
          )
        yield* accept(1)
        yield* accept(2)
        // Owner + 2 = 3 members, the free plan's limit: no further invitation or acceptance.
        expect(failureOf(yield* Effect.exit(Team.invite(owner, { role: "viewer" }))).limit).toBe("maxMembers")
      })
    )
  )

  it.effect("limits nothing on a self-hosted deployment (no enforcement)", () =>
    selfHosted(
      Effect.gen(function* () {
        const { owner } = yield* org
        for (let n = 1; n <= 4; n++) yield* register(owner, n)
        const overview = yield* Plans.overview(owner)
        expect(overview.plan.id).toBe("unlimited")
        expect(overview.provider).toBeNull()
        expect(overview.usage.servers).toBe(4)
      })
    )
  )
})

describe("read_only_workspace", () => {
  it.effect("marks the callers of a lapsed workspace read-only at authentication", () =>
    hosted(
      Effect.gen(function* () {
        const first = yield* Team.bootstrap({ orgName: "Acme", ownerEmail: "o@acme.io", ownerName: "O" })
        if (!first.created) throw new Error("expected creation")
        expect((yield* ApiKeys.authenticate(first.token)).readOnly).toBe(false)
        yield* subscribe(first.organization.id, { status: "canceled" })
        expect((yield* ApiKeys.authenticate(first.token)).readOnly).toBe(true)
        assert.isTrue(yield* Plans.schedulesPaused(first.organization.id))
      })
    )
  )

  it.effect("is never set without enforcement, whatever the subscription says", () =>
    selfHosted(
      Effect.gen(function* () {
        const first = yield* Team.bootstrap({ orgName: "Acme", ownerEmail: "o@acme.io", ownerName: "O" })
        if (!first.created) throw new Error("expected creation")
        yield* subscribe(first.organization.id, { status: "canceled" })
        expect((yield* ApiKeys.authenticate(first.token)).readOnly).toBe(false)
        assert.isFalse(yield* Plans.schedulesPaused(first.organization.id))
      })
    )
  )

  it.effect("refuses writes and allows reads and billing in a read-only workspace", () =>
    Effect.gen(function* () {
      const readOnly = { readOnly: true }
      const allowed = (op: Roles.Operation | "write") =>
        Effect.map(Effect.exit(Plans.ensureWritable(readOnly, op)), Exit.isSuccess)
      for (const op of [
        "servers.read",
        "runs.read",
        "search_runs",
        "inspect_run",
        "billing.read",
        "billing.write"
      ] as const)
        assert.isTrue(yield* allowed(op), op)
      for (const op of [
        "servers.write",
        "workflows.write",
        "runs.dispatch",
        "run_workflow_now",
        "proposals.create",
        "keys.write",
        "write"
      ] as const)
        assert.isFalse(yield* allowed(op), op)
      // Every `.read` operation of the table stays allowed.
      for (const op of Roles.operations.filter((o) => o.endsWith(".read")))
        assert.isTrue(yield* allowed(op), op)
      const error = failureOf(yield* Effect.exit(Plans.ensureWritable(readOnly, "monitors.write")))
      expect(toApiErrorBody(error).code).toBe("read_only_workspace")
      assert.isTrue(
        Exit.isSuccess(yield* Effect.exit(Plans.ensureWritable({ readOnly: false }, "servers.write")))
      )
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(Plans.ensureWritable({}, "servers.write"))))
    })
  )
})

describe("Plans.setPlan (manual billing)", () => {
  it.effect(
    "writes the subscription, keeps the provider's customer, and refuses an unknown plan naming `plan`",
    () =>
      hosted(
        Effect.gen(function* () {
          const { owner } = yield* org
          yield* subscribe(owner.orgId, { customerId: "cus_1" })
          const ws = yield* Plans.setPlan(owner.orgId, { plan: "business", status: "past_due" })
          expect(ws.readOnly).toBe(true)
          const stored = yield* Effect.flatMap(OrgStore, (s) => s.getSubscription(owner.orgId))
          expect(stored._tag === "Some" && stored.value).toMatchObject({
            planId: "business",
            customerId: "cus_1"
          })
          const bad = failureOf(yield* Effect.exit(Plans.setPlan(owner.orgId, { plan: "gold" })))
          expect(bad.fieldErrors.map((f: { field: string }) => f.field)).toEqual(["plan"])
        })
      )
  )
})

describe("schedules of a read-only workspace pause", () => {
  const runWorkflows = <A, E>(effect: Effect.Effect<A, E, Fixtures.FixtureServices | Plans.Enforcement>) =>
    Effect.zipRight(Fixtures.seed, effect).pipe(
      Effect.provide(Layer.provideMerge(Plans.layer, Fixtures.testLayer()))
    )

  it.effect("a lapsed organization's due fire is skipped, and fires again once it is active", () =>
    runWorkflows(
      Effect.gen(function* () {
        yield* TestClock.setTime(new Date("2026-01-01T10:15:00Z").getTime())
        yield* Workflows.create(
          Fixtures.editor,
          Fixtures.specInput({ schedule: { cron: "0 * * * *", timezone: "UTC" } })
        )
        const tick = yield* Scheduler.makeTick
        yield* subscribe(Fixtures.orgId, { status: "canceled" })
        yield* TestClock.setTime(new Date("2026-01-01T11:00:00Z").getTime())
        expect(yield* tick).toEqual({ fired: 0, skipped: 0 })
        yield* subscribe(Fixtures.orgId, { status: "active" })
        expect((yield* tick).fired).toBeGreaterThan(0)
      })
    )
  )

  it.effect("a manual dispatch past the month's runs is quota_exceeded", () =>
    runWorkflows(
      Effect.gen(function* () {
        yield* TestClock.setTime(new Date("2026-01-01T10:15:00Z").getTime())
        const { workflow } = yield* Workflows.create(Fixtures.editor, Fixtures.specInput())
        const runs = yield* RunStore
        for (let i = 0; i < 299; i++)
          yield* runs.insertRun(storedRun(Fixtures.orgId, { createdAt: new Date() }))
        yield* Runs.dispatch(Fixtures.editor, { workflowId: workflow.id })
        const error = failureOf(
          yield* Effect.exit(Runs.dispatch(Fixtures.editor, { workflowId: workflow.id, forceNewRun: true }))
        )
        expect(error.limit).toBe("maxRunsPerMonth")
        expect(error.message).toContain("300 runs this month")
      })
    )
  )
})
