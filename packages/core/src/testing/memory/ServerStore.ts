import { type Context, Either, Option } from "effect"
import type { ServerStore } from "../../ports/ServerStore.js"
import { byCreation, conflict, type Db, nameTaken, pageOf, rowOf, rowsOf } from "./Tables.js"

/** In-memory `ServerStore`. */
export const makeServerStore = (db: Db): Context.Tag.Service<ServerStore> => ({
  insertServer: (server) =>
    db.attempt((t) => {
      if (t.servers.has(server.id)) return Either.left(conflict("id", "server id already exists"))
      if (nameTaken(t.servers, server, server.name, (s) => s.name)) {
        return Either.left(conflict("name", `a server named "${server.name}" exists`))
      }
      t.servers.set(server.id, server)
      return Either.void
    }),
  updateServer: (server) =>
    db.attempt((t) => {
      if (rowOf(t.servers, server.orgId, server.id) === undefined) return Either.void
      if (nameTaken(t.servers, server, server.name, (s) => s.name)) {
        return Either.left(conflict("name", `a server named "${server.name}" exists`))
      }
      t.servers.set(server.id, server)
      return Either.void
    }),
  getServer: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.servers, orgId, id))),
  listServers: (orgId, page) => db.run((t) => pageOf(rowsOf(t.servers, orgId).sort(byCreation), page)),
  deleteServer: (orgId, id) =>
    db.run((t) => {
      if (rowOf(t.servers, orgId, id) === undefined) return false
      t.servers.delete(id)
      // Profiles and catalog versions go with their server (ON DELETE CASCADE in SQL).
      for (const p of t.authProfiles.values()) if (p.serverId === id) t.authProfiles.delete(p.id)
      for (const v of t.catalogVersions.values()) if (v.serverId === id) t.catalogVersions.delete(v.id)
      return true
    }),

  insertAuthProfile: (profile) =>
    db.attempt((t) => {
      if (t.authProfiles.has(profile.id)) return Either.left(conflict("id", "auth profile id already exists"))
      if (
        rowsOf(
          t.authProfiles,
          profile.orgId,
          (p) => p.serverId === profile.serverId && p.name === profile.name
        ).length > 0
      ) {
        return Either.left(conflict("name", `the server has an auth profile named "${profile.name}"`))
      }
      t.authProfiles.set(profile.id, profile)
      return Either.void
    }),
  getAuthProfile: (orgId, id) => db.run((t) => Option.fromNullable(rowOf(t.authProfiles, orgId, id))),
  listAuthProfiles: (orgId, serverId) =>
    db.run((t) => rowsOf(t.authProfiles, orgId, (p) => p.serverId === serverId).sort(byCreation)),
  getServerWithProfiles: (orgId, serverId, profileId) =>
    db.run((t) => {
      const server = rowOf(t.servers, orgId, serverId)
      if (server === undefined) return Option.none()
      if (profileId !== null) {
        const profile = rowOf(t.authProfiles, orgId, profileId)
        return Option.some({ server, profiles: profile === undefined ? [] : [profile] })
      }
      const profiles = rowsOf(t.authProfiles, orgId, (p) => p.serverId === serverId).sort(byCreation)
      return Option.some({ server, profiles })
    }),
  deleteAuthProfile: (orgId, id) =>
    db.run((t) => rowOf(t.authProfiles, orgId, id) !== undefined && t.authProfiles.delete(id)),
  setAuthProfileSecret: (orgId, id, secretRef) =>
    db.run((t) => {
      const profile = rowOf(t.authProfiles, orgId, id)
      if (profile !== undefined) t.authProfiles.set(id, { ...profile, secretRef })
    }),

  insertCatalogVersion: (version) =>
    db.attempt((t) => {
      if (t.catalogVersions.has(version.id))
        return Either.left(conflict("id", "catalog version id already exists"))
      if (
        Array.from(t.catalogVersions.values()).some(
          (v) => v.serverId === version.serverId && v.version === version.version
        )
      ) {
        return Either.left(conflict("version", `catalog version ${version.version} exists`))
      }
      t.catalogVersions.set(version.id, version)
      return Either.void
    }),
  latestCatalog: (orgId, serverId) =>
    db.run((t) =>
      Option.fromNullable(newestFirst(rowsOf(t.catalogVersions, orgId, (v) => v.serverId === serverId))[0])
    ),
  listCatalogVersions: (orgId, serverId, limit) =>
    db.run((t) =>
      newestFirst(rowsOf(t.catalogVersions, orgId, (v) => v.serverId === serverId)).slice(0, limit)
    )
})

const newestFirst = <A extends { readonly version: number }>(rows: Array<A>): Array<A> =>
  rows.sort((a, b) => b.version - a.version)
