/**
 * @armature/core/testing — the testing kit: an in-memory store, a scripted language model, and
 * the contract suites every adapter runs against itself. The suites run under vitest (through
 * `@effect/vitest`, an optional peer); `@armature/core/testing/doubles` has the rest without them.
 */

export type { StorePorts } from "../ports/StorePorts.js"
export * as AlertSinkContract from "./contracts/AlertSinkContract.js"
export * as Fixtures from "./contracts/fixtures.js"
export * as LanguageModelsContract from "./contracts/LanguageModelsContract.js"
export * as SecretStoreContract from "./contracts/SecretStoreContract.js"
export * as StoreContract from "./contracts/StoreContract.js"
export * as MemoryStore from "./MemoryStore.js"
export * as RecordingAlertSink from "./RecordingAlertSink.js"
export * as ScriptedModel from "./ScriptedModel.js"
