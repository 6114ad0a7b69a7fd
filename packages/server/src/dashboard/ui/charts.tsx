/**
 * Charts as server-rendered SVG: no script, readable by screen readers through a title and a
 * summary in words, and as crisp on a phone as on a screen.
 */
import type { CheckOutcome, Monitors } from "@armature/core"
import { duration } from "./format.js"

const colours: Record<CheckOutcome, string> = {
  pass: "#1a7f37",
  degraded: "#9a6700",
  fail: "#cf222e",
  error: "#82071e"
}

/** Points of a polyline over `values` (nulls break the line). */
const segments = (
  values: ReadonlyArray<number | null>,
  x: (i: number) => number,
  y: (v: number) => number
) => {
  const out: string[][] = []
  let current: string[] = []
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length > 0) out.push(current)
      current = []
    } else current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`)
  })
  if (current.length > 0) out.push(current)
  return out.map((points) => points.join(" "))
}

/** p50 and p95 latency per bucket, with failed checks marked under the axis. */
export const LatencyChart = (props: { buckets: ReadonlyArray<Monitors.Bucket>; label: string }) => {
  const width = 720
  const height = 220
  const left = 56
  const bottom = 28
  const top = 12
  const values = props.buckets.flatMap((b) => [b.p50, b.p95]).filter((v): v is number => v !== null)
  const max = Math.max(1, ...values) * 1.1
  const n = Math.max(props.buckets.length, 1)
  const step = (width - left - 8) / n
  const x = (i: number) => left + step * (i + 0.5)
  const y = (v: number) => top + (height - top - bottom) * (1 - v / max)
  const checks = props.buckets.reduce((sum, b) => sum + b.checks, 0)
  const failed = props.buckets.reduce((sum, b) => sum + b.failed, 0)
  const summary =
    checks === 0
      ? `${props.label}: no checks in this window`
      : `${props.label}: ${checks} checks, ${failed} failed; highest p95 ${duration(Math.max(...values, 0))}`
  const first = props.buckets[0]?.start
  const last = props.buckets.at(-1)?.start
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
      <title>{summary}</title>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={left} x2={width - 8} y1={y(max * f)} y2={y(max * f)} stroke="#d0d7de" />
          <text x={left - 6} y={y(max * f) + 4} text-anchor="end">
            {duration(max * f)}
          </text>
        </g>
      ))}
      {segments(
        props.buckets.map((b) => b.p95),
        x,
        y
      ).map((points) => (
        <polyline key={points} points={points} fill="none" stroke="#cf222e" stroke-width="2" />
      ))}
      {segments(
        props.buckets.map((b) => b.p50),
        x,
        y
      ).map((points) => (
        <polyline key={points} points={points} fill="none" stroke="#0b5cad" stroke-width="2" />
      ))}
      {/* Each bucket's values as dots too: a lone bucket between gaps has no line. */}
      {props.buckets.flatMap((b, i) =>
        (["p95", "p50"] as const).flatMap((k) => {
          const v = b[k]
          return v === null
            ? []
            : [
                <circle
                  key={`${k}${i}`}
                  cx={x(i)}
                  cy={y(v)}
                  r="2.5"
                  fill={k === "p95" ? "#cf222e" : "#0b5cad"}
                />
              ]
        })
      )}
      {props.buckets.map((b, i) =>
        b.failed > 0 ? (
          <rect
            key={b.start.getTime()}
            x={x(i) - step / 2}
            y={height - bottom + 4}
            width={step}
            height={6}
            fill="#cf222e"
          />
        ) : null
      )}
      {first === undefined || last === undefined ? null : (
        <>
          <text x={left} y={height - 4}>
            {first.toISOString().slice(5, 16).replace("T", " ")}
          </text>
          <text x={width - 8} y={height - 4} text-anchor="end">
            {last.toISOString().slice(5, 16).replace("T", " ")} UTC
          </text>
        </>
      )}
      <text x={width - 8} y={top + 10} text-anchor="end">
        <tspan fill="#0b5cad">— p50</tspan> <tspan fill="#cf222e">— p95</tspan>
      </text>
    </svg>
  )
}

/** Recent checks, oldest first, one coloured bar each: height is latency, colour the outcome. */
export const Sparkline = (props: {
  checks: ReadonlyArray<{ readonly outcome: CheckOutcome; readonly latencyMs: number }>
  label: string
}) => {
  const width = 120
  const height = 24
  const max = Math.max(1, ...props.checks.map((c) => c.latencyMs))
  // Bars stay thin with few checks, so a new monitor's strip does not look like a full one.
  const bar = Math.min(width / Math.max(props.checks.length, 1), 6)
  const failed = props.checks.filter((c) => c.outcome === "fail" || c.outcome === "error").length
  const summary =
    props.checks.length === 0
      ? `${props.label}: no checks yet`
      : `${props.label}: last ${props.checks.length} checks, ${failed} failed`
  // One path per outcome, not one element per check: a list of 50 monitors stays small.
  const paths = new Map<CheckOutcome, string[]>()
  props.checks.forEach((c, i) => {
    const h = c.outcome === "error" ? height : Math.max(3, (c.latencyMs / max) * height)
    const bars = paths.get(c.outcome) ?? []
    bars.push(
      `M${(i * bar + 0.5).toFixed(1)} ${height}v${(-h).toFixed(1)}h${Math.max(bar - 1, 1).toFixed(1)}v${h.toFixed(1)}z`
    )
    paths.set(c.outcome, bars)
  })
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={summary}>
      <title>{summary}</title>
      {[...paths].map(([outcome, bars]) => (
        <path key={outcome} d={bars.join("")} fill={colours[outcome]} />
      ))}
    </svg>
  )
}

/** A pass rate's colour, as `PassRate` badges have it. */
const rateColour = (rate: number) => (rate >= 0.95 ? "#1a7f37" : rate >= 0.8 ? "#9a6700" : "#cf222e")

/** Pass rate per day, one bar each (a day without graded runs has none), with the days named. */
export const PassTrend = (props: {
  days: ReadonlyArray<{ readonly day: Date; readonly passRate: number | null }>
  label: string
}) => {
  const width = 420
  const height = 120
  const bottom = 20
  const slot = width / Math.max(props.days.length, 1)
  const percent = (rate: number) => `${Math.round(rate * 100)} %`
  const summary = `${props.label}: ${props.days
    .map(
      (d) => `${d.day.toISOString().slice(5, 10)} ${d.passRate === null ? "no runs" : percent(d.passRate)}`
    )
    .join(", ")}`
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} width={width} role="img" aria-label={summary}>
      <title>{summary}</title>
      <line x1={0} x2={width} y1={height - bottom} y2={height - bottom} stroke="#d0d7de" />
      {props.days.map((d, i) => {
        const h = d.passRate === null ? 0 : Math.max(2, d.passRate * (height - bottom - 16))
        return (
          <g key={d.day.getTime()}>
            {d.passRate === null ? null : (
              <>
                <rect
                  x={i * slot + slot * 0.2}
                  y={height - bottom - h}
                  width={slot * 0.6}
                  height={h}
                  fill={rateColour(d.passRate)}
                />
                <text x={i * slot + slot / 2} y={height - bottom - h - 3} text-anchor="middle">
                  {percent(d.passRate)}
                </text>
              </>
            )}
            <text x={i * slot + slot / 2} y={height - 5} text-anchor="middle">
              {d.day.toISOString().slice(5, 10)}
            </text>
          </g>
        )
      })}
    </svg>
  )
}
