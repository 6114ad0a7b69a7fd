/**
 * @armature/store-postgres — Armature's storage on PostgreSQL (`PgStore.layer`) and on embedded
 * PGlite (`PgStore.layerPglite`), with migrations, the job queue, the encrypted secret store (and
 * its key rotation) and retention.
 */
export * as Migrations from "./Migrations.js"
export * as PgliteClient from "./PgliteClient.js"
export * as PgStore from "./PgStore.js"
export * as Retention from "./Retention.js"
export * as SecretRotation from "./SecretRotation.js"
export * as PgSecretStore from "./SecretStore.js"
