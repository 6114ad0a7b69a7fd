/**
 * The words every sink uses for one alert, so Slack, email and the webhook's `title` say the same
 * thing. Pure functions of the message: durations are measured to `message.at`, never to the clock,
 * so a retried delivery renders exactly as the first attempt did.
 */
import type { AlertMessage } from "@armature/core"

const targetLabels = { workflow: "Workflow", monitor: "Monitor", mcp_server: "MCP server" } as const

/** What the alert is about: "Workflow Weather check", or the bare object name when the target is unknown. */
export const subjectOf = (m: AlertMessage): string =>
  m.target === undefined ? m.objectName : `${targetLabels[m.target.type]} ${m.target.name}`

const firingVerbs: Record<string, string> = {
  fail: "failed",
  partial: "partially failed",
  error: "could not run",
  degraded: "is degraded",
  drift_breaking: "changed its tools in a breaking way",
  drift_suspicious: "has suspicious tool descriptions (possible tool poisoning)",
  // `Alerting.testRule`: the rule's destination is being checked, nothing failed.
  test: "— test message"
}

const ongoingStates: Record<string, string> = {
  fail: "failing",
  partial: "partially failing",
  error: "not running",
  degraded: "degraded"
}

/** One line saying what happened, worded for the message's kind. */
export const headline = (m: AlertMessage): string => {
  switch (m.kind) {
    case "recovery":
      return `${subjectOf(m)} recovered`
    case "reminder":
      return `${subjectOf(m)} is still ${ongoingStates[m.outcome] ?? m.outcome}`
    case "incident":
      return `MCP server ${m.incident?.serverName ?? m.server?.name ?? m.objectName} is unreachable`
    case "firing":
      return `${subjectOf(m)} ${firingVerbs[m.outcome] ?? `reported ${m.outcome}`}`
  }
}

/** `2026-01-01 09:30 UTC`: unambiguous for every reader, whatever their time zone. */
export const formatTime = (date: Date): string => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`

/** `3 d 4 h`, `2 h 5 min`, `12 min`, `40 s`: the two largest units are enough for an alert. */
export const formatDuration = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000))
  const units: Array<[number, string]> = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor(s / 3600) % 24, "h"],
    [Math.floor(s / 60) % 60, "min"],
    [s % 60, "s"]
  ]
  const first = units.findIndex(([n]) => n > 0)
  if (first === -1) return "0 s"
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(" ")
}

/**
 * How long the problem lasts, when the message knows it: `["Since", "2026-01-01 07:55 UTC (2 h 5 min)"]`;
 * for a recovery, `["Failing for", "2 h 5 min (since …)"]`; otherwise when it was observed.
 */
export const since = (m: AlertMessage): readonly [label: string, value: string] => {
  if (m.firingSince === undefined) return ["At", formatTime(m.at)]
  const lasted = formatDuration(m.at.getTime() - m.firingSince.getTime())
  return m.kind === "recovery"
    ? ["Failing for", `${lasted} (since ${formatTime(m.firingSince)})`]
    : ["Since", `${formatTime(m.firingSince)} (${lasted})`]
}

/** Label and value pairs shown beside the headline, in a fixed order; absent facts are left out. */
export const facts = (m: AlertMessage): ReadonlyArray<readonly [label: string, value: string]> => {
  const out: Array<readonly [string, string]> = [["What", subjectOf(m)]]
  const server = m.server?.name ?? m.incident?.serverName
  if (server !== undefined && m.target?.type !== "mcp_server") out.push(["Server", server])
  if (m.toolName !== undefined) out.push(["Tool", m.toolName])
  out.push(["Outcome", m.kind === "recovery" ? `recovered (${m.outcome})` : m.outcome])
  out.push(since(m))
  out.push(["Rule", m.ruleName])
  return out
}

/** The link if it is an absolute http(s) URL: anything else (`javascript:`…) is never made clickable. */
export const safeLink = (link: string | null): string | null => {
  if (link === null) return null
  try {
    const url = new URL(link)
    return url.protocol === "https:" || url.protocol === "http:" ? link : null
  } catch {
    return null
  }
}

/** Cuts `text` to `max` UTF-16 units, marking the cut, without splitting a surrogate pair. */
export const truncate = (text: string, max: number, marker = "…"): string => {
  if (text.length <= max) return text
  let end = Math.max(0, max - marker.length)
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return `${text.slice(0, end)}${marker}`
}
