import { type Caller, OrgStore, StoreError, Team } from "@armature/core"
import { Config, Effect } from "effect"
import { inTurn } from "./advisoryLock.js"

/**
 * The first start of a deployment creates its organization and owner and returns the owner's
 * API key (shown once, never stored in clear). Later starts find the organization. Replicas
 * starting together on one empty database take turns on an advisory lock, so exactly one of
 * them creates the organization.
 */
export const bootstrap = Effect.gen(function* () {
  const owner = yield* Config.all({
    orgName: Config.string("ARMATURE_ORG_NAME").pipe(Config.withDefault("Armature")),
    ownerEmail: Config.string("ARMATURE_OWNER_EMAIL").pipe(Config.withDefault("owner@example.com")),
    ownerName: Config.string("ARMATURE_OWNER_NAME").pipe(Config.withDefault("Owner"))
  })
  return yield* Team.bootstrap(owner).pipe(inTurn("armature:bootstrap"))
})

/**
 * The deployment's own identity, for work the operator starts from the command line with
 * direct database access (`apply`, `keys`): the owner role of the first organization, as the
 * operator, who alone may set commands that start processes (stdio servers).
 */
export const operator: Effect.Effect<Caller, StoreError, OrgStore> = Effect.gen(function* () {
  const orgs = yield* Effect.flatMap(OrgStore, (s) => s.listOrganizations)
  const first = [...orgs].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0]
  if (first === undefined) {
    return yield* new StoreError({
      message: "No organization yet: run `armature init` or `armature serve` first"
    })
  }
  return { orgId: first.id, actor: { keyId: null, memberId: null, role: "owner" as const }, operator: true }
})
