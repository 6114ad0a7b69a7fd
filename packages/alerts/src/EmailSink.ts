/**
 * Email destinations (`{ type: "email", address }`) through core's `EmailSender` port
 * (`ResendEmail` provides one). The delivery id is the idempotency key, so a retry after a lost
 * answer does not send the email twice.
 */
import { DeliveryFailed, destinationAs, EmailSender } from "@armature/core"
import { Effect } from "effect"
import type { TypedSink } from "./AlertSinks.js"
import * as EmailMessage from "./EmailMessage.js"

/** The words of every refusal when the deployment has no email provider. */
export const notConfigured = "Email is not configured: set a Resend API key and a sender address"

// One address, no display name, no list: `,`, `<`, `>`, `;`, quotes and spaces could smuggle in
// a second recipient or a crafted name once a provider parses the field.
const address = /^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+\.[^\s@<>()[\],;:"\\.][^\s@<>()[\],;:"\\]*$/

/** Why `value` is not a deliverable address, or null. */
export const addressProblem = (value: string): string | null =>
  value.length <= 254 && address.test(value) ? null : "must be an email address such as oncall@example.com"

/** The email sink over a given sender. */
export const fromSender = (sender: EmailSender["Type"]): TypedSink => ({
  type: "email",
  deliver: ({ id, message, destination }) =>
    Effect.gen(function* () {
      const email = destinationAs(destination, "email")
      if (email === null) {
        return yield* new DeliveryFailed({
          message: `the email sink cannot deliver to a "${destination.type}" destination`,
          retryable: false
        })
      }
      const problem = addressProblem(email.address)
      if (problem !== null)
        return yield* new DeliveryFailed({ message: `address ${problem}`, retryable: false })
      const rendered = EmailMessage.render(message)
      yield* sender.send({ to: [email.address], ...rendered, idempotencyKey: id })
    }),
  validate: (_orgId, destination) => {
    const email = destinationAs(destination, "email")
    if (email === null) return Effect.succeed([{ field: "type", message: "not an email destination" }])
    const problem = addressProblem(email.address)
    return Effect.succeed(problem === null ? [] : [{ field: "address", message: problem }])
  }
})

/** The email sink over the `EmailSender` in context. */
export const make: Effect.Effect<TypedSink, never, EmailSender> = Effect.map(EmailSender, fromSender)
