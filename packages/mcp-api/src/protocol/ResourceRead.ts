/**
 * One `resources/read`: resolve the URI against the resource table (an unknown URI or one with a
 * query string is `validation_failed` naming `uri`), read through the entry's core use case (which
 * checks the role and the organization), and encode the document by the entry's output schema.
 */
import { type Caller, InternalError } from "@armature/core"
import { Effect, Schema } from "effect"
import type { ReadResourceResult } from "../internal/sdk.js"
import { mimeType } from "../Resource.js"
import { resolve } from "../ResourceTable.js"
import type { Requirements } from "../ToolTable.js"

/** The contents of `uri`: one JSON text item. Fails with the use case's error, or `internal_error`. */
export const read = (caller: Caller, uri: string): Effect.Effect<ReadResourceResult, unknown, Requirements> =>
  Effect.gen(function* () {
    const { resource, id } = yield* resolve(uri)
    const document = yield* resource.read(caller, id)
    const json = yield* Schema.encode(resource.output)(document).pipe(
      Effect.mapError(
        (cause) =>
          new InternalError({ message: `The document of ${resource.uri} does not match its schema`, cause })
      )
    )
    return { contents: [{ uri, mimeType, text: JSON.stringify(json) }] }
  })
