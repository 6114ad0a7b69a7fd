/**
 * Time-limited mutes of monitors and alert rules ("Mute 1 h"): `mutedUntil` holds the end, and a
 * mute whose end has passed has no effect, so a mute ends by itself and nothing has to clear it.
 */
import { Effect } from "effect"
import { type ValidationFailed, validationFailed } from "../Errors.js"

/** The longest mute, a week — the same bound as a rule's `reminderMinutes`. */
export const maxMuteMinutes = 10_080

/** `minutes` if it is a whole number of minutes from 1 to a week, else `validation_failed` on `minutes`. */
export const muteMinutes = (minutes: number): Effect.Effect<number, ValidationFailed> =>
  Number.isInteger(minutes) && minutes >= 1 && minutes <= maxMuteMinutes
    ? Effect.succeed(minutes)
    : Effect.fail(
        validationFailed([
          { field: "minutes", message: `must be a whole number of minutes from 1 to ${maxMuteMinutes}` }
        ])
      )

/** When a mute of `minutes` that starts at `at` ends. */
export const mutedUntil = (at: Date, minutes: number): Date => new Date(at.getTime() + minutes * 60_000)

/**
 * Whether a monitor or rule sends nothing at `at`: muted until unmuted (`muted`, monitors only)
 * or until `mutedUntil`, while that is still ahead.
 */
export const isMuted = (
  subject: { readonly muted?: boolean; readonly mutedUntil: Date | null },
  at: Date
): boolean =>
  subject.muted === true || (subject.mutedUntil !== null && subject.mutedUntil.getTime() > at.getTime())
