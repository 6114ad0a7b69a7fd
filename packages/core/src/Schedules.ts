/**
 * Workflow schedules (SPEC §3.1): five-field cron in an IANA time zone, through effect's `Cron`
 * (which walks wall-clock time in the zone, so fires stay at 09:00 local across DST changes).
 */
import { Cron, Either } from "effect"
import type { Schedule } from "./domain/Workflow.js"
import type { FieldError } from "./Errors.js"

/** The schedule presets offered by the dashboard and the docs; `cron: null` is manual-only. */
export const presets: ReadonlyArray<{ readonly label: string; readonly cron: string | null }> = [
  { label: "Manual", cron: null },
  { label: "Every 15 minutes", cron: "*/15 * * * *" },
  { label: "Every 30 minutes", cron: "*/30 * * * *" },
  { label: "Hourly", cron: "0 * * * *" },
  { label: "Daily at 09:00", cron: "0 9 * * *" }
]

/** Fixed offset between the runs of one fire for several tester models. */
export const staggerMs = 30_000

/** Offset from the fire time of the run for the model at `index` (0 for the first model). */
export const modelOffset = (index: number): number =>
  Number.isInteger(index) && index > 0 ? index * staggerMs : 0

const fieldsOf = (cron: string) =>
  cron
    .trim()
    .split(/\s+/)
    .filter((f) => f.length > 0)

/** Whether `tz` names a time zone this runtime knows (IANA names such as `Europe/Oslo`, or `UTC`). */
export const isTimeZone = (tz: string): boolean => {
  // Offsets like `+01:00` are accepted by newer Intl versions but are not IANA zones.
  if (tz.trim() === "" || /^[+-]/.test(tz)) return false
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** The parsed cron of a valid schedule, or `null` when it is manual or invalid. */
const parsed = (schedule: Schedule | null): Cron.Cron | null => {
  if (schedule === null || typeof schedule?.cron !== "string") return null
  const tz = schedule.timezone ?? "UTC"
  if (fieldsOf(schedule.cron).length !== 5 || !isTimeZone(tz)) return null
  try {
    const result = Cron.parse(schedule.cron.trim(), tz)
    return Either.isRight(result) ? result.right : null
  } catch {
    return null
  }
}

/** The first fire strictly after `from`, or `null` when the cron never fires (`0 0 30 2 *`). */
const nextAfter = (cron: Cron.Cron, from: Date): Date | null => {
  try {
    return Cron.next(cron, from)
  } catch {
    return null
  }
}

/** The latest fire at or before `at`, or `null` when there is none. */
const latestAtOrBefore = (cron: Cron.Cron, at: Date): Date | null => {
  let fire: Date
  try {
    fire = Cron.prev(cron, at)
  } catch {
    return null
  }
  // `Cron.prev` is strict and works in whole seconds, so step forward to include `at` itself.
  for (;;) {
    const next = nextAfter(cron, fire)
    if (next === null || next.getTime() > at.getTime()) return fire
    fire = next
  }
}

/** Field errors of a schedule (`null` = manual, always valid); fields are rooted at `field`. */
export const validate = (schedule: Schedule | null, field = "schedule"): ReadonlyArray<FieldError> => {
  if (schedule === null || schedule === undefined) return []
  const errors: FieldError[] = []
  const tz: unknown = schedule.timezone ?? "UTC"
  if (typeof tz !== "string" || !isTimeZone(tz)) {
    errors.push({ field: `${field}.timezone`, message: `Unknown IANA time zone ${JSON.stringify(tz)}` })
  }
  const cron: unknown = schedule.cron
  if (typeof cron !== "string") {
    errors.push({ field: `${field}.cron`, message: "Expected a cron expression string" })
    return errors
  }
  const fields = fieldsOf(cron)
  if (fields.length !== 5) {
    errors.push({
      field: `${field}.cron`,
      message: `Expected exactly 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`
    })
    return errors
  }
  let result: Either.Either<Cron.Cron, Cron.ParseError>
  try {
    // Parsed in UTC so a bad time zone is reported once, on its own field.
    result = Cron.parse(cron.trim(), "UTC")
  } catch (e) {
    errors.push({ field: `${field}.cron`, message: `Invalid cron expression: ${String(e)}` })
    return errors
  }
  if (Either.isLeft(result)) {
    errors.push({ field: `${field}.cron`, message: `Invalid cron expression: ${result.left.message}` })
  } else if (nextAfter(result.right, new Date(0)) === null) {
    errors.push({ field: `${field}.cron`, message: "The cron expression never fires" })
  }
  return errors
}

/** The next `count` fire times strictly after `from`; `[]` for manual or invalid schedules. */
export const nextFires = (schedule: Schedule | null, from: Date, count: number): Date[] => {
  const cron = parsed(schedule)
  const out: Date[] = []
  if (cron === null) return out
  let at = from
  while (out.length < count) {
    const next = nextAfter(cron, at)
    if (next === null) break
    out.push(next)
    at = next
  }
  return out
}

/** Milliseconds between the latest fire at or before `around` and the fire after it; 0 if there is none. */
export const interval = (schedule: Schedule | null, around: Date): number => {
  const cron = parsed(schedule)
  if (cron === null) return 0
  const fire = latestAtOrBefore(cron, around) ?? nextAfter(cron, around)
  if (fire === null) return 0
  const next = nextAfter(cron, fire)
  return next === null ? 0 : next.getTime() - fire.getTime()
}

/**
 * The fire to run now, if any (SPEC §3.1: no backfill, misfire grace). Only the most recent fire
 * at or before `now` is a candidate, so after downtime at most one fire runs and older missed
 * ones are skipped. It must be after `lastFireAt` (so it runs once), and it must be late by less
 * than one interval — the gap from the fire before it. For evenly spaced crons the most recent
 * fire always is; for uneven ones (`0 9,10 * * *`) a fire that has waited longer than its own
 * interval is skipped in favour of the next future one. With `lastFireAt` null the schedule
 * never fired: pass the creation or resume time instead when fires before it must not count.
 */
export const dueFire = (schedule: Schedule | null, lastFireAt: Date | null, now: Date): Date | null => {
  const cron = parsed(schedule)
  if (cron === null) return null
  const fire = latestAtOrBefore(cron, now)
  if (fire === null) return null
  if (lastFireAt !== null && fire.getTime() <= lastFireAt.getTime()) return null
  const previous = latestAtOrBefore(cron, new Date(fire.getTime() - 1))
  const grace = previous === null ? Number.POSITIVE_INFINITY : fire.getTime() - previous.getTime()
  return now.getTime() - fire.getTime() < grace ? fire : null
}

const pad = (n: number) => String(n).padStart(2, "0")
const isInt = (s: string, max: number) => /^\d{1,2}$/.test(s) && Number(s) <= max

/** A human-readable label for a schedule ("Hourly · across 3 models"). */
export const label = (schedule: Schedule | null, modelCount = 1): string => {
  const base = baseLabel(schedule)
  return modelCount > 1 ? `${base} · across ${modelCount} models` : base
}

const baseLabel = (schedule: Schedule | null): string => {
  if (schedule === null || schedule === undefined || typeof schedule.cron !== "string") return "Manual"
  const tz = schedule.timezone ?? "UTC"
  const inZone = tz === "UTC" ? "" : ` (${tz})`
  const fields = fieldsOf(schedule.cron)
  const expr = fields.join(" ")
  if (fields.length === 5) {
    const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string]
    const everyDay = dom === "*" && month === "*" && dow === "*"
    if (everyDay && hour === "*") {
      if (minute === "*" || minute === "*/1") return "Every minute"
      const step = /^\*\/(\d+)$/.exec(minute)
      if (step && Number(step[1]) > 1 && 60 % Number(step[1]) === 0) return `Every ${Number(step[1])} minutes`
      if (minute === "0") return "Hourly"
      if (isInt(minute, 59)) return `Hourly at :${pad(Number(minute))}`
    }
    if (everyDay && isInt(minute, 59)) {
      const step = /^\*\/(\d+)$/.exec(hour)
      if (step && Number(step[1]) > 1 && 24 % Number(step[1]) === 0 && minute === "0") {
        return `Every ${Number(step[1])} hours${inZone}`
      }
      if (isInt(hour, 23)) return `Daily at ${pad(Number(hour))}:${pad(Number(minute))}${inZone}`
    }
  }
  return `Cron \`${expr}\` (${tz})`
}
