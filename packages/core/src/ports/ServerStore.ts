import { Context, type Effect, type Option } from "effect"
import type { CatalogVersion } from "../domain/Catalog.js"
import type { AuthProfile, McpServer } from "../domain/McpServer.js"
import type { Conflict, StoreError } from "../Errors.js"
import type { PageQuery } from "./Page.js"

/** MCP servers, their auth profiles and their catalog versions. */
export class ServerStore extends Context.Tag("@armature/core/ServerStore")<
  ServerStore,
  {
    /** Fails with `Conflict` (field `name`) when the organization has a server of that name. */
    readonly insertServer: (server: McpServer) => Effect.Effect<void, Conflict | StoreError>
    readonly updateServer: (server: McpServer) => Effect.Effect<void, Conflict | StoreError>
    readonly getServer: (orgId: string, id: string) => Effect.Effect<Option.Option<McpServer>, StoreError>
    /** Every server, or one page of them. */
    readonly listServers: (
      orgId: string,
      page?: PageQuery
    ) => Effect.Effect<ReadonlyArray<McpServer>, StoreError>
    /**
     * Deletes a server with its auth profiles and catalog versions (their secrets are the
     * caller's to delete); returns whether it existed in that organization.
     */
    readonly deleteServer: (orgId: string, id: string) => Effect.Effect<boolean, StoreError>

    readonly insertAuthProfile: (profile: AuthProfile) => Effect.Effect<void, Conflict | StoreError>
    readonly getAuthProfile: (
      orgId: string,
      id: string
    ) => Effect.Effect<Option.Option<AuthProfile>, StoreError>
    readonly listAuthProfiles: (
      orgId: string,
      serverId: string
    ) => Effect.Effect<ReadonlyArray<AuthProfile>, StoreError>
    /**
     * A server with the profiles a connection to it may use, in one read (a worker starting a
     * run): the profile `profileId` as `getAuthProfile` finds it (none when it is gone), or with
     * `null` every profile of the server, oldest first (the id breaks ties). `None` when the
     * server does not exist in that organization.
     */
    readonly getServerWithProfiles: (
      orgId: string,
      serverId: string,
      profileId: string | null
    ) => Effect.Effect<
      Option.Option<{ readonly server: McpServer; readonly profiles: ReadonlyArray<AuthProfile> }>,
      StoreError
    >
    /** Deletes one auth profile; returns whether it existed in that organization. */
    readonly deleteAuthProfile: (orgId: string, id: string) => Effect.Effect<boolean, StoreError>
    /**
     * Points a profile at another secret (a rotated credential); its other settings never change.
     * An unknown profile, or one of another organization, is left alone.
     */
    readonly setAuthProfileSecret: (
      orgId: string,
      id: string,
      secretRef: string | null
    ) => Effect.Effect<void, StoreError>

    /** Versions of one server are numbered 1, 2, …; inserting an existing number fails with `Conflict`. */
    readonly insertCatalogVersion: (version: CatalogVersion) => Effect.Effect<void, Conflict | StoreError>
    readonly latestCatalog: (
      orgId: string,
      serverId: string
    ) => Effect.Effect<Option.Option<CatalogVersion>, StoreError>
    /** Newest first. */
    readonly listCatalogVersions: (
      orgId: string,
      serverId: string,
      limit: number
    ) => Effect.Effect<ReadonlyArray<CatalogVersion>, StoreError>
  }
>() {}
