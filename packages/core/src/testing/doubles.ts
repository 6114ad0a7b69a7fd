/**
 * @armature/core/testing/doubles — the testing kit's stand-ins without its contract suites, so
 * without vitest: an in-memory store, a scripted language model and a recording alert sink, for
 * scripts and for tests under any runner. `@armature/core/testing` exports these too.
 */

export type { StorePorts } from "../ports/StorePorts.js"
export * as MemoryStore from "./MemoryStore.js"
export * as RecordingAlertSink from "./RecordingAlertSink.js"
export * as ScriptedModel from "./ScriptedModel.js"
