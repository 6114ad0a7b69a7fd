/**
 * MCP servers (SPEC §1, §2): registration with live probing, auth profiles whose secrets live
 * only in the `SecretStore`, catalog sync with drift classification, and catalog history.
 * Nothing returned here contains a secret value: profiles are returned as views, and stdio
 * environment values are stored as `secret:<ref>` references. The use cases live in `servers/`,
 * one file per concern; this module is their public surface (`Servers.register`, …).
 */

export { AuthProfileInput, RegisterInput, UpdateInput } from "./internal/serverInput.js"
export { AuthProfileView, profileView } from "./internal/serverProbe.js"
export { ServerPolicy } from "./internal/serverRecord.js"
export { addAuthProfile, replaceAuthProfileSecret, SecretInput } from "./servers/authProfiles.js"
export { type CatalogHistoryEntry, catalog } from "./servers/catalogHistory.js"
export { probe, update } from "./servers/connection.js"
export type { CatalogSummary, ProbeOutcome } from "./servers/records.js"
export { get, list, register } from "./servers/registration.js"
export { Deleted, remove, removeAuthProfile } from "./servers/removal.js"
export { driftImpacts, SyncResult, sync } from "./servers/sync.js"
