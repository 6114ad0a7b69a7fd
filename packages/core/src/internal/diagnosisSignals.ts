/**
 * What diagnosis reads off a recorded run: calls that failed and whether the agent recovered,
 * calls that no longer fit the catalog, tools named by criteria, and wording in the judge's
 * reasoning and the final answer. Pure, and each test a plain pattern so a finding can say why.
 */
import type { CatalogVersion, Tool } from "../domain/Catalog.js"
import type { CriterionResult, Run, ToolCall, TraceEvent } from "../domain/Run.js"
import type { Confidence, Suspect } from "../RunDiagnosis.js"
import { validateArguments } from "./monitorArgs.js"

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** At most `max` characters of `text`, on one line. */
export const clip = (text: string, max = 120): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** The first text item of a call's result, for a one-line why. */
export const resultText = (call: ToolCall): string | null => {
  for (const item of call.content) {
    if (isRecord(item) && typeof item.text === "string" && item.text.trim() !== "") return clip(item.text)
  }
  return null
}

/** A call that reached the server and came back without `isError` or a call error. */
export const succeeded = (call: ToolCall): boolean => !call.refused && !call.isError && call.error === null

/** Call errors that mean the connection broke (the runner's `kind: message` form), not the tool. */
export const isTransportError = (call: ToolCall): boolean =>
  !call.refused && call.error !== null && /^(transport|not_mcp|http_status|auth_rejected):/.test(call.error)

/** The server answered, but with an error: `isError`, a JSON-RPC error (`protocol:`) or no answer in time. */
export const isServerError = (call: ToolCall): boolean =>
  !call.refused && (call.isError || (call.error !== null && /^(protocol|timeout):/.test(call.error)))

/** One line saying how a failed call failed. */
export const howFailed = (call: ToolCall): string => {
  if (call.error !== null) return clip(call.error)
  const text = resultText(call)
  return text === null ? "returned isError" : `returned isError: "${text}"`
}

/**
 * Failed calls the agent did not get past: no later call of the same tool succeeded. Setup and
 * teardown calls always count: they are deterministic, nobody retries them.
 */
export const unrecovered = (calls: ReadonlyArray<ToolCall>, failed: (c: ToolCall) => boolean): ToolCall[] =>
  calls.filter(
    (call, i) =>
      failed(call) &&
      (call.phase !== "agent" ||
        !calls.slice(i + 1).some((later) => later.name === call.name && succeeded(later)))
  )

/** Why a call does not fit a catalog version: an unknown tool or arguments its input schema refuses. */
export const mismatch = (call: ToolCall, catalog: CatalogVersion): string | null => {
  const tool = catalog.tools.find((t) => t.name === call.name)
  if (tool === undefined) return `${call.name} is not in catalog version ${catalog.version}`
  const errors = argumentErrors(tool, call.arguments)
  return errors === null
    ? null
    : `arguments do not match ${call.name} in catalog version ${catalog.version}: ${errors}`
}

const argumentErrors = (tool: Tool, args: unknown): string | null => {
  const errors = validateArguments("arguments", tool.inputSchema, isRecord(args) ? args : {})
  return errors.length === 0 ? null : clip(errors.map((e) => `${e.field} ${e.message}`).join("; "))
}

/** The first of `versions` in which the call fitted: the contract it was made against. */
export const fittedIn = (call: ToolCall, versions: ReadonlyArray<CatalogVersion>): CatalogVersion | null =>
  versions.find((v) => mismatch(call, v) === null) ?? null

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Tool names (from `names`) that a criterion's text mentions as whole words. */
export const toolsNamedIn = (text: string, names: Iterable<string>): string[] =>
  [...new Set(names)].filter((name) =>
    new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(name)}(?![A-Za-z0-9_])`).test(text)
  )

/** Final answers that give up rather than report a result. */
const givingUp =
  /\b(I (cannot|can't|can not|could not|couldn't|was unable|am unable|'m unable)|unable to (complete|find|access|perform)|I'm sorry|I apologi[sz]e)\b/i

export const gaveUp = (answer: string | null): boolean => answer !== null && givingUp.test(answer)

/** Judge reasoning that faults the wording or format rather than the substance. */
const wordingCue =
  /\b(exact(ly)?|verbatim|word[- ]for[- ]word|wording|worded|phrasing|phrased|literal(ly)?|format(ted|ting)?|capitali[sz](ed|ation)|punctuation|spelled|precise (text|words|string))\b/i

export const citesWording = (reasoning: string): boolean => wordingCue.test(reasoning)

/** Phrases a criterion quotes ("…", “…”, '…' or `…`): what the judge was told to look for literally. */
export const quotedPhrases = (text: string): string[] =>
  [...text.matchAll(/"([^"]+)"|“([^”]+)”|`([^`]+)`|(?<![A-Za-z])'([^']+)'(?![A-Za-z])/g)]
    .map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4] ?? "").trim())
    .filter((p) => p.length > 0)

const normalize = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()

/** Whether the answer carries every quoted phrase of the criterion, ignoring case, punctuation and spacing. */
export const answerHas = (answer: string, phrases: ReadonlyArray<string>): boolean => {
  const a = ` ${normalize(answer)} `
  return phrases.every((p) => a.includes(` ${normalize(p)} `))
}

/** Required criteria and assertions that did not pass: what decided the run's status. */
export const decisive = (
  run: Run
): { criteria: CriterionResult[]; assertions: Run["assertions"][number][] } => ({
  criteria: run.criteria.filter((c) => c.required && c.verdict !== "pass"),
  assertions: run.assertions.filter((a) => a.required && !a.passed)
})

/** A tool call blamed by a finding, with the one-line why. */
export const callSuspect = (call: ToolCall, why: string): Suspect => ({
  kind: "tool_call",
  id: call.id,
  toolName: call.name,
  why
})

/** A trace event blamed by a finding, with the one-line why. */
export const eventSuspect = (event: TraceEvent, why: string): Suspect => ({
  kind: "trace_event",
  id: event.id,
  toolName: null,
  why
})

/** Names listed once each, in first-seen order. */
export const list = (names: Iterable<string>): string => [...new Set(names)].join(", ")

export const confidenceRank: Record<Confidence, number> = { high: 2, medium: 1, low: 0 }

/** The highest of some confidences (`low` for none). */
export const strongest = (cs: ReadonlyArray<Confidence>): Confidence =>
  cs.reduce<Confidence>((a, c) => (confidenceRank[c] > confidenceRank[a] ? c : a), "low")
