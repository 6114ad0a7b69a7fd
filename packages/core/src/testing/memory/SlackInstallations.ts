import { type Context, Effect, Either, Option } from "effect"
import { StoreError } from "../../Errors.js"
import type { SecretStore } from "../../ports/SecretStore.js"
import type { SlackInstallations } from "../../ports/SlackInstallations.js"
import { type Db, duplicate } from "./Tables.js"

/** In-memory `SlackInstallations`; bot tokens go to the store's own `SecretStore`. */
export const makeSlackInstallations = (
  db: Db,
  secrets: Context.Tag.Service<SecretStore>
): Context.Tag.Service<SlackInstallations> => {
  const secretRefOf = (orgId: string) =>
    db.run((t) => Option.fromNullable(t.slackInstallations.get(orgId)?.secretRef))

  return {
    // One transaction: the new token's secret, the row and the old secret's deletion all happen or none.
    save: (installation, botToken) =>
      db.transaction(
        Effect.gen(function* () {
          const orgId = installation.orgId
          const ref = yield* secrets.put(orgId, botToken)
          const previous = yield* db.run((t) => {
            const before = t.slackInstallations.get(orgId)?.secretRef
            t.slackInstallations.set(orgId, { installation, secretRef: ref })
            return before
          })
          if (previous !== undefined) yield* secrets.delete(orgId, previous)
        })
      ),
    get: (orgId) => db.run((t) => Option.fromNullable(t.slackInstallations.get(orgId)?.installation)),
    listByTeam: (teamId) =>
      db.run((t) =>
        Array.from(t.slackInstallations.values())
          .map((i) => i.installation)
          .filter((i) => i.teamId === teamId)
          .sort((a, b) => (a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0))
      ),
    botToken: (orgId) =>
      Effect.flatMap(secretRefOf(orgId), (ref) =>
        Option.isNone(ref)
          ? Effect.succeed(Option.none())
          : secrets.get(orgId, ref.value).pipe(
              Effect.map(Option.some),
              Effect.catchTag("SecretNotFound", () =>
                Effect.fail(new StoreError({ message: "the Slack installation's bot token is missing" }))
              )
            )
      ),
    setProposalsChannel: (orgId, channel) =>
      db.run((t) => {
        const row = t.slackInstallations.get(orgId)
        if (row === undefined) return false
        t.slackInstallations.set(orgId, {
          ...row,
          installation: { ...row.installation, proposalsChannel: channel }
        })
        return true
      }),
    remove: (orgId) =>
      db.transaction(
        Effect.gen(function* () {
          const ref = yield* secretRefOf(orgId)
          if (Option.isNone(ref)) return false
          yield* db.run((t) => t.slackInstallations.delete(orgId))
          yield* secrets.delete(orgId, ref.value)
          return true
        })
      ),

    createLink: (link) =>
      db.attempt((t) => {
        if (t.slackInstallLinks.has(link.id)) return Either.left(duplicate("Slack install link", link.id))
        const hashTaken = [...t.slackInstallLinks.values()].some((l) => l.secretHash === link.secretHash)
        if (hashTaken) return Either.left(duplicate("Slack install link secret", link.id))
        t.slackInstallLinks.set(link.id, link)
        return Either.void
      }),
    getLinkBySecretHash: (secretHash) =>
      db.run((t) =>
        Option.fromNullable([...t.slackInstallLinks.values()].find((l) => l.secretHash === secretHash))
      ),
    consumeLink: (id, at) =>
      db.run((t) => {
        const link = t.slackInstallLinks.get(id)
        if (link === undefined || link.usedAt !== null || link.expiresAt <= at) return Option.none()
        const used = { ...link, usedAt: at }
        t.slackInstallLinks.set(id, used)
        return Option.some(used)
      }),
    pruneLinks: (before) =>
      db.run((t) => {
        const gone = Array.from(t.slackInstallLinks.values()).filter((l) => l.expiresAt < before)
        for (const link of gone) t.slackInstallLinks.delete(link.id)
        return gone.length
      })
  }
}
