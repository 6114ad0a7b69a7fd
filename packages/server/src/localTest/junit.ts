import type { CaseResult } from "./LocalTest.js"

const xml = (text: string) =>
  text.replace(
    /[&<>"']|[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? ""
  )

/** Text for an attribute value: a parser would turn raw newlines and tabs there into spaces. */
const attr = (text: string) => xml(text).replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`)

const seconds = (ms: number) => (ms / 1000).toFixed(3)

const testcase = (r: CaseResult) => {
  const open = `    <testcase name="${attr(r.name)}" classname="${attr(`armature.${r.kind}s.${r.server}`)}" time="${seconds(r.durationMs)}"`
  const body = [r.message, ...r.details].map(xml).join("\n")
  switch (r.status) {
    case "pass":
      return `${open}>\n      <system-out>${xml(r.message)}</system-out>\n    </testcase>`
    case "skipped":
      return `${open}>\n      <skipped message="${attr(r.message)}"/>\n    </testcase>`
    case "fail":
      return `${open}>\n      <failure message="${attr(r.message)}" type="${r.kind}_failed">${body}</failure>\n    </testcase>`
    case "error":
      return `${open}>\n      <error message="${attr(r.message)}" type="${r.kind}_error">${body}</error>\n    </testcase>`
  }
}

const suite = (name: string, results: ReadonlyArray<CaseResult>) => {
  const count = (status: CaseResult["status"]) => results.filter((r) => r.status === status).length
  const time = results.reduce((sum, r) => sum + r.durationMs, 0)
  return [
    `  <testsuite name="${name}" tests="${results.length}" failures="${count("fail")}" errors="${count("error")}" skipped="${count("skipped")}" time="${seconds(time)}">`,
    ...results.map(testcase),
    "  </testsuite>"
  ].join("\n")
}

/**
 * The results as JUnit XML, the format CI systems read: one suite each for the servers' scans,
 * monitors and workflows; a failing check is a `<failure>` named after the monitor.
 */
export const render = (results: ReadonlyArray<CaseResult>): string => {
  const suites = (["server", "monitor", "workflow"] as const)
    .map((kind) => ({ kind, results: results.filter((r) => r.kind === kind) }))
    .filter((s) => s.results.length > 0)
  const count = (status: CaseResult["status"]) => results.filter((r) => r.status === status).length
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="armature" tests="${results.length}" failures="${count("fail")}" errors="${count("error")}" skipped="${count("skipped")}">`,
    ...suites.map((s) => suite(`armature ${s.kind}s`, s.results)),
    "</testsuites>",
    ""
  ].join("\n")
}
