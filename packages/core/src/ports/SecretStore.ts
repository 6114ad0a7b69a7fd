import { Context, type Effect, type Redacted, Schema } from "effect"
import type { StoreError } from "../Errors.js"

export class SecretNotFound extends Schema.TaggedError<SecretNotFound>()("SecretNotFound", {
  message: Schema.String,
  ref: Schema.String
}) {}

/** Credential values, kept apart from the records that use them and encrypted at rest. */
export class SecretStore extends Context.Tag("@armature/core/SecretStore")<
  SecretStore,
  {
    /** Stores a value; returns the reference to keep in the record. */
    readonly put: (orgId: string, value: Redacted.Redacted<string>) => Effect.Effect<string, StoreError>
    /** `SecretNotFound` for an unknown or deleted reference, or one of another organization. */
    readonly get: (
      orgId: string,
      ref: string
    ) => Effect.Effect<Redacted.Redacted<string>, SecretNotFound | StoreError>
    /** Deleting an unknown reference, or one of another organization, does nothing. */
    readonly delete: (orgId: string, ref: string) => Effect.Effect<void, StoreError>
    /**
     * Which of `candidates` equal a value the organization stores as a secret (the values never
     * leave the store). Lets a use case refuse an argument that repeats a stored credential,
     * which would otherwise be stored and shown in plain text.
     */
    readonly matching: (
      orgId: string,
      candidates: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlySet<string>, StoreError>
  }
>() {}
