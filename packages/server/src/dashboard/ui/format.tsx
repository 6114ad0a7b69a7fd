/** Small renderings shared by the pages: times, rates, durations and state badges. */
import type { ComponentChildren } from "preact"

export type Tone = "good" | "warn" | "bad" | "idle"

export const Badge = (props: { tone: Tone; children: ComponentChildren }) => (
  <span class={`badge ${props.tone}`}>{props.children}</span>
)

/** A pass rate (0–1) as a percentage, coloured: green from 95 %, amber from 80 %, red below. */
export const PassRate = ({ rate }: { rate: number | null }) =>
  rate === null ? (
    <Badge tone="idle">no runs</Badge>
  ) : (
    <Badge tone={rate >= 0.95 ? "good" : rate >= 0.8 ? "warn" : "bad"}>{percent(rate)}</Badge>
  )

export const percent = (rate: number) => `${(Math.round(rate * 1000) / 10).toFixed(1)} %`

const toneOf: Record<string, Tone> = {
  pass: "good",
  healthy: "good",
  active: "good",
  ready: "good",
  succeeded: "good",
  degraded: "warn",
  partial: "warn",
  running: "warn",
  queued: "idle",
  pending: "idle",
  paused: "idle",
  muted: "idle",
  archived: "idle",
  fail: "bad",
  failing: "bad",
  error: "bad",
  erroring: "bad",
  failed: "bad",
  unreachable: "bad",
  refused: "bad"
}

/** A status word as a coloured badge. */
export const Status = ({ value }: { value: string | null }) =>
  value === null ? <Badge tone="idle">none</Badge> : <Badge tone={toneOf[value] ?? "idle"}>{value}</Badge>

/** An instant in UTC, to the second, in a `<time>` element. */
export const When = ({ at }: { at: Date | null | undefined }) =>
  at === null || at === undefined ? (
    <span class="muted">never</span>
  ) : (
    <time dateTime={at.toISOString()}>{at.toISOString().replace("T", " ").slice(0, 19)} UTC</time>
  )

/** Milliseconds in the unit that reads best. */
export const duration = (ms: number) =>
  ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`
