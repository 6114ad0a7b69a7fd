import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option } from "effect"
import { OrgStore } from "../src/ports/OrgStore.js"
import { Transactor } from "../src/ports/Transactor.js"
import {
  AlertSinkContract,
  Fixtures,
  MemoryStore,
  RecordingAlertSink,
  StoreContract
} from "../src/testing/index.js"

StoreContract.storeContract("MemoryStore", MemoryStore.layer)

AlertSinkContract.alertSinkContract("RecordingAlertSink", RecordingAlertSink.layer(), {
  destination: { type: "slack", channel: "C123" },
  failingDestination: { type: "email", address: "fail@example.com" },
  received: Effect.flatMap(RecordingAlertSink.Recorder, (r) => r.deliveries)
})

describe("MemoryStore transactions", () => {
  it.effect("a write from outside waits for an open transaction, so its rollback cannot erase it", () =>
    Effect.gen(function* () {
      const { withTransaction } = yield* Transactor
      const orgs = yield* OrgStore
      const inside = Fixtures.organization()
      const outside = Fixtures.organization()
      const opened = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const tx = yield* Effect.fork(
        Effect.either(
          withTransaction(
            Effect.gen(function* () {
              yield* orgs.createOrganization(inside)
              yield* Deferred.succeed(opened, undefined)
              yield* Deferred.await(release)
              return yield* Effect.fail("rollback")
            })
          )
        )
      )
      yield* Deferred.await(opened)
      const writer = yield* Effect.fork(orgs.createOrganization(outside))
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      expect(writer.unsafePoll()).toBeNull()
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(tx)
      yield* Fiber.join(writer)
      expect(Option.isNone(yield* orgs.getOrganization(inside.id))).toBe(true)
      expect(Option.isSome(yield* orgs.getOrganization(outside.id))).toBe(true)
    }).pipe(Effect.provide(MemoryStore.layer))
  )

  it.effect("an interrupted transaction is rolled back", () =>
    Effect.gen(function* () {
      const { withTransaction } = yield* Transactor
      const orgs = yield* OrgStore
      const org = Fixtures.organization()
      const opened = yield* Deferred.make<void>()
      const tx = yield* Effect.fork(
        withTransaction(
          Effect.zipRight(
            orgs.createOrganization(org),
            Effect.zipRight(Deferred.succeed(opened, undefined), Effect.never)
          )
        )
      )
      yield* Deferred.await(opened)
      yield* Fiber.interrupt(tx)
      expect(Option.isNone(yield* orgs.getOrganization(org.id))).toBe(true)
    }).pipe(Effect.provide(MemoryStore.layer))
  )

  it.effect("each build of the layer starts empty", () =>
    Effect.gen(function* () {
      const org = Fixtures.organization()
      yield* Effect.flatMap(OrgStore, (s) => s.createOrganization(org)).pipe(
        Effect.provide(MemoryStore.layer)
      )
      const found = yield* Effect.flatMap(OrgStore, (s) => s.getOrganization(org.id)).pipe(
        Effect.provide(MemoryStore.layer)
      )
      expect(Option.isNone(found)).toBe(true)
    })
  )
})
