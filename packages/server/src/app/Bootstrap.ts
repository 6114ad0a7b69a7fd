import { type Caller, OrgStore, StoreError, Team } from "@armature/core"
import { Config, Effect } from "effect"
import { inTurn } from "./advisoryLock.js"

/** The organization and owner a new deployment starts with. */
export interface Owner {
  readonly orgName: string
  readonly ownerEmail: string
  readonly ownerName: string
}

/** The organization and owner of a deployment that names none. */
export const defaultOwner: Owner = {
  orgName: "Armature",
  ownerEmail: "owner@example.com",
  ownerName: "Owner"
}

/**
 * The first start of a deployment creates its organization and owner and returns the owner's
 * API key (shown once, never stored in clear). Later starts find the organization. Replicas
 * starting together on one empty database take turns on an advisory lock, so exactly one of
 * them creates the organization.
 */
export const bootstrapWith = (owner: Owner) => Team.bootstrap(owner).pipe(inTurn("armature:bootstrap"))

/** `bootstrapWith` the owner of `ARMATURE_ORG_NAME`, `ARMATURE_OWNER_EMAIL` and `ARMATURE_OWNER_NAME`. */
export const bootstrap = Effect.gen(function* () {
  const owner = yield* Config.all({
    orgName: Config.string("ARMATURE_ORG_NAME").pipe(Config.withDefault(defaultOwner.orgName)),
    ownerEmail: Config.string("ARMATURE_OWNER_EMAIL").pipe(Config.withDefault(defaultOwner.ownerEmail)),
    ownerName: Config.string("ARMATURE_OWNER_NAME").pipe(Config.withDefault(defaultOwner.ownerName))
  })
  return yield* bootstrapWith(owner)
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
