import { Context, type Effect } from "effect"
import type { DeliveryFailed } from "./AlertSink.js"

/** One email, in HTML and plain text with the same content. */
export interface Email {
  readonly to: ReadonlyArray<string>
  readonly subject: string
  readonly html: string
  readonly text: string
  /** Equal for every retry of one message, so the provider sends it once. */
  readonly idempotencyKey?: string
}

/** Sends email (alerts, invitations); `@armature/alerts` provides a Resend adapter. */
export class EmailSender extends Context.Tag("@armature/core/EmailSender")<
  EmailSender,
  { readonly send: (email: Email) => Effect.Effect<void, DeliveryFailed> }
>() {}
