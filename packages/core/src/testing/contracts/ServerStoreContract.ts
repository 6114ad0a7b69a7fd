import { describe, expect, type Vitest } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ServerStore } from "../../ports/ServerStore.js"
import type { StorePorts } from "../../ports/StorePorts.js"
import { at, authProfile, catalogVersion, newOrg, server, uid } from "./fixtures.js"

const fields = (error: {
  readonly _tag: string
  readonly fieldErrors?: ReadonlyArray<{ readonly field: string }>
}) => error.fieldErrors?.map((f) => f.field)

/** Registers the `ServerStore` contract tests. */
export const serverStoreSuite = (it: Vitest.MethodsNonLive<StorePorts>): void => {
  describe("servers", () => {
    it.effect("a name is unique per organization, ignoring case and runs of space", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const s = server(orgA, { name: `Orders  API ${uid()}` })
        yield* store.insertServer(s)
        for (const name of [s.name, s.name.toUpperCase(), s.name.replace("  ", " \t ")]) {
          const error = yield* Effect.flip(store.insertServer(server(orgA, { name })))
          expect(error._tag).toBe("Conflict")
          expect(fields(error)).toEqual(["name"])
        }
        yield* store.insertServer(server(orgB, { name: s.name }))
      })
    )

    it.effect("reads never cross organizations", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const s = server(orgA)
        yield* store.insertServer(s)
        expect(Option.getOrThrow(yield* store.getServer(orgA, s.id))).toEqual(s)
        expect(Option.isNone(yield* store.getServer(orgB, s.id))).toBe(true)
        expect((yield* store.listServers(orgA)).map((x) => x.id)).toEqual([s.id])
        expect(yield* store.listServers(orgB)).toEqual([])
      })
    )

    it.effect("update stores the new fields; renaming onto another server's name is a Conflict", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const orgId = yield* newOrg
        const first = server(orgId)
        const second = server(orgId, { createdAt: at(1) })
        yield* store.insertServer(first)
        yield* store.insertServer(second)
        const updated = {
          ...first,
          state: "unreachable" as const,
          lastProbeError: "refused",
          lastProbedAt: at(5),
          args: ["--port", "1"],
          env: { REGION: "eu" },
          extraHeaders: { "x-tenant": "acme" },
          updatedAt: at(5)
        }
        yield* store.updateServer(updated)
        expect(Option.getOrThrow(yield* store.getServer(orgId, first.id))).toEqual(updated)
        const error = yield* Effect.flip(store.updateServer({ ...second, name: first.name }))
        expect(error._tag).toBe("Conflict")
        expect(Option.getOrThrow(yield* store.getServer(orgId, second.id)).name).toBe(second.name)
      })
    )
  })

  describe("pages and deletes", () => {
    it.effect("lists page in (createdAt, id) order after a position, ties broken by id", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const orgId = yield* newOrg
        // Two servers share a creation time: the id orders them.
        const servers = [
          server(orgId, { createdAt: at(1) }),
          server(orgId, { createdAt: at(2) }),
          server(orgId, { createdAt: at(2) }),
          server(orgId, { createdAt: at(3) })
        ]
        for (const s of servers) yield* store.insertServer(s)
        const all = yield* store.listServers(orgId)
        expect(all.map((s) => s.createdAt.getTime())).toEqual([1, 2, 2, 3].map((n) => at(n).getTime()))
        const first = yield* store.listServers(orgId, { limit: 2 })
        expect(first.map((s) => s.id)).toEqual(all.slice(0, 2).map((s) => s.id))
        const last = first.at(-1)!
        const rest = yield* store.listServers(orgId, {
          after: { at: last.createdAt, id: last.id },
          limit: 10
        })
        expect(rest.map((s) => s.id)).toEqual(all.slice(2).map((s) => s.id))
      })
    )

    it.effect(
      "deleting a server takes its auth profiles and catalog versions, in its organization only",
      () =>
        Effect.gen(function* () {
          const store = yield* ServerStore
          const [orgA, orgB] = [yield* newOrg, yield* newOrg]
          const s = server(orgA)
          yield* store.insertServer(s)
          const profile = authProfile(orgA, s.id)
          yield* store.insertAuthProfile(profile)
          yield* store.insertCatalogVersion(catalogVersion(orgA, s.id, 1))
          expect(yield* store.deleteServer(orgB, s.id)).toBe(false)
          expect(yield* store.deleteServer(orgA, s.id)).toBe(true)
          expect(Option.isNone(yield* store.getServer(orgA, s.id))).toBe(true)
          expect(Option.isNone(yield* store.getAuthProfile(orgA, profile.id))).toBe(true)
          expect(Option.isNone(yield* store.latestCatalog(orgA, s.id))).toBe(true)
          expect(yield* store.deleteServer(orgA, s.id)).toBe(false)
        })
    )

    it.effect("deleting an auth profile leaves the server's others", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const s = server(orgA)
        yield* store.insertServer(s)
        const [one, two] = [authProfile(orgA, s.id), authProfile(orgA, s.id, { createdAt: at(1) })]
        yield* store.insertAuthProfile(one)
        yield* store.insertAuthProfile(two)
        expect(yield* store.deleteAuthProfile(orgB, one.id)).toBe(false)
        expect(yield* store.deleteAuthProfile(orgA, one.id)).toBe(true)
        expect((yield* store.listAuthProfiles(orgA, s.id)).map((p) => p.id)).toEqual([two.id])
      })
    )
  })

  describe("auth profiles", () => {
    it.effect("are listed per server, scoped to the organization, and unique by name per server", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const s = server(orgA)
        const other = server(orgA)
        yield* store.insertServer(s)
        yield* store.insertServer(other)
        const profile = authProfile(orgA, s.id, { secretRef: "ref-1" })
        yield* store.insertAuthProfile(profile)
        yield* store.insertAuthProfile(authProfile(orgA, other.id, { name: profile.name }))
        const error = yield* Effect.flip(
          store.insertAuthProfile(authProfile(orgA, s.id, { name: profile.name }))
        )
        expect(error._tag).toBe("Conflict")

        expect(Option.getOrThrow(yield* store.getAuthProfile(orgA, profile.id))).toEqual(profile)
        expect(Option.isNone(yield* store.getAuthProfile(orgB, profile.id))).toBe(true)
        expect((yield* store.listAuthProfiles(orgA, s.id)).map((p) => p.id)).toEqual([profile.id])
        expect(yield* store.listAuthProfiles(orgB, s.id)).toEqual([])
      })
    )

    it.effect("a server comes with its profiles in one read: all of them in order, or the one named", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const s = server(orgA)
        const other = server(orgA)
        yield* store.insertServer(s)
        yield* store.insertServer(other)
        // Inserted out of order: the read orders by creation, the id breaking ties.
        const [late, tieB, tieA] = [
          authProfile(orgA, s.id, { createdAt: at(20), scopes: ["read", "write"], secretRef: "ref-1" }),
          authProfile(orgA, s.id, {
            id: `b-${uid()}`,
            createdAt: at(10),
            kind: "api_key_header",
            headerName: "X-Key"
          }),
          authProfile(orgA, s.id, { id: `a-${uid()}`, createdAt: at(10) })
        ]
        const elsewhere = authProfile(orgA, other.id)
        for (const p of [late, tieB, tieA, elsewhere]) yield* store.insertAuthProfile(p)

        const all = Option.getOrThrow(yield* store.getServerWithProfiles(orgA, s.id, null))
        expect(all.server).toEqual(s)
        expect(all.profiles).toEqual([tieA, tieB, late])
        expect(yield* store.getServerWithProfiles(orgA, other.id, late.id)).toEqual(
          Option.some({ server: other, profiles: [late] })
        )
        expect(Option.getOrThrow(yield* store.getServerWithProfiles(orgA, s.id, uid())).profiles).toEqual([])
        expect(Option.isNone(yield* store.getServerWithProfiles(orgB, s.id, null))).toBe(true)
        expect(Option.isNone(yield* store.getServerWithProfiles(orgA, uid(), null))).toBe(true)
        const bare = Option.getOrThrow(yield* store.getServerWithProfiles(orgA, other.id, null))
        yield* store.deleteAuthProfile(orgA, elsewhere.id)
        expect(bare.profiles).toEqual([elsewhere])
        expect(Option.getOrThrow(yield* store.getServerWithProfiles(orgA, other.id, null)).profiles).toEqual(
          []
        )
      })
    )

    it.effect("a profile's secret reference is replaced in place, only within its organization", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const s = server(orgA)
        yield* store.insertServer(s)
        const profile = authProfile(orgA, s.id, { secretRef: "ref-1" })
        yield* store.insertAuthProfile(profile)
        yield* store.setAuthProfileSecret(orgB, profile.id, "ref-of-b")
        expect(Option.getOrThrow(yield* store.getAuthProfile(orgA, profile.id)).secretRef).toBe("ref-1")
        yield* store.setAuthProfileSecret(orgA, profile.id, "ref-2")
        expect(Option.getOrThrow(yield* store.getAuthProfile(orgA, profile.id))).toEqual({
          ...profile,
          secretRef: "ref-2"
        })
      })
    )
  })

  describe("catalog versions", () => {
    it.effect("the latest is the highest number; a taken number is a Conflict", () =>
      Effect.gen(function* () {
        const store = yield* ServerStore
        const [orgA, orgB] = [yield* newOrg, yield* newOrg]
        const s = server(orgA)
        yield* store.insertServer(s)
        expect(Option.isNone(yield* store.latestCatalog(orgA, s.id))).toBe(true)
        const v1 = catalogVersion(orgA, s.id, 1)
        const v2 = catalogVersion(orgA, s.id, 2)
        const v3 = catalogVersion(orgA, s.id, 3)
        yield* store.insertCatalogVersion(v1)
        yield* store.insertCatalogVersion(v2)
        yield* store.insertCatalogVersion(v3)
        const error = yield* Effect.flip(store.insertCatalogVersion(catalogVersion(orgA, s.id, 2)))
        expect(error._tag).toBe("Conflict")

        expect(Option.getOrThrow(yield* store.latestCatalog(orgA, s.id))).toEqual(v3)
        expect((yield* store.listCatalogVersions(orgA, s.id, 2)).map((v) => v.version)).toEqual([3, 2])
        expect(Option.isNone(yield* store.latestCatalog(orgB, s.id))).toBe(true)
        expect(yield* store.listCatalogVersions(orgB, s.id, 10)).toEqual([])
      })
    )
  })
}
