/**
 * A run in progress: what it is pinned to, its clock and deadline, the recorder of its trace, and
 * what the terminal run reports even when a later phase fails (usage, server info, catalog hash,
 * final answer).
 */
import {
  type AuthProfile,
  Catalogs,
  costOf,
  type McpServer,
  type McpSession,
  type ModelCatalogEntry,
  type ModelUsage,
  type Run,
  SecretStore,
  type ServerInfo,
  type Tool,
  type WorkflowSpec
} from "@armature/core"
import { Clock, Effect, Redacted } from "effect"
import { Recorder } from "../internal/recorder.js"
import { secretsOf } from "../internal/session.js"
import { type RunVariables, render, runKey } from "../internal/variables.js"

/** A pending run with what it is pinned to. */
export interface RunContext {
  readonly run: Run
  readonly spec: WorkflowSpec
  readonly server: McpServer
  readonly profile: AuthProfile | null
}

/**
 * What the phases learn that the terminal run reports whatever happens after: each phase records
 * here as it goes, so a failure later on keeps what was learned before it.
 */
export class RunProgress {
  readonly usage: ModelUsage[] = []
  serverInfo: ServerInfo | null = null
  catalogHash: string | null = null
  finalAnswer: string | null = null
  private session: McpSession | null = null

  /** The open session's own secrets (an OAuth token can change during the run), read at each use. */
  sessionSecrets(): ReadonlyArray<string> {
    return this.session === null ? [] : secretsOf(this.session)
  }

  /** The session is open: its server info is known and its secrets are redacted from now on. */
  connected(session: McpSession): void {
    this.session = session
    this.serverInfo = session.serverInfo
  }

  /** The tools are listed: the run records the catalog it saw. */
  listed(tools: ReadonlyArray<Tool>): void {
    this.catalogHash = Catalogs.canonicalHash(tools)
  }

  /** The tester's final answer (already redacted), which the judge grades and the run keeps. */
  answered(finalAnswer: string | null): void {
    this.finalAnswer = finalAnswer
  }

  /** Tokens a model used, priced from its catalog entry. */
  used(
    role: "tester" | "judge",
    entry: ModelCatalogEntry,
    tokens: { readonly inputTokens: number; readonly outputTokens: number }
  ): void {
    const { inputTokens, outputTokens } = tokens
    this.usage.push({
      model: entry.id,
      role,
      inputTokens,
      outputTokens,
      costUsd: costOf(entry, inputTokens, outputTokens)
    })
  }
}

/** A run once started: its context with the clock, deadline, recorder, rendered prompt and progress. */
export interface RunState extends RunContext {
  readonly clock: Clock.Clock
  readonly started: number
  /** `timeoutSeconds` after the start: every phase but teardown ends by then. */
  readonly deadline: number
  readonly recorder: Recorder
  readonly vars: RunVariables
  readonly prompt: string
  readonly progress: RunProgress
}

/** The value of the profile's stored secret, so the trace never shows it; none when unreadable. */
const profileSecrets = (profile: AuthProfile | null) =>
  profile?.secretRef == null
    ? Effect.succeed<ReadonlyArray<string>>([])
    : Effect.flatMap(SecretStore, (s) => s.get(profile.orgId, profile.secretRef!)).pipe(
        Effect.map((v): ReadonlyArray<string> => [Redacted.value(v)]),
        Effect.orElseSucceed((): ReadonlyArray<string> => [])
      )

/** Starts the run's clock, reads the secrets to redact and renders the prompt. */
export const start = (ctx: RunContext): Effect.Effect<RunState, never, SecretStore> =>
  Effect.gen(function* () {
    const { run, spec } = ctx
    const clock = yield* Effect.clock
    const started = yield* Clock.currentTimeMillis
    const secrets = yield* profileSecrets(ctx.profile)
    const progress = new RunProgress()
    const recorder = new Recorder(
      () => clock.unsafeCurrentTimeMillis(),
      () => [...secrets, ...progress.sessionSecrets()]
    )
    const vars: RunVariables = {
      id: run.id,
      key: runKey(run.id),
      startedAt: new Date(started),
      vars: spec.variables
    }
    const prompt = render(spec.prompt, vars)
    if (prompt.unknown.length > 0)
      recorder.event({
        type: "info",
        text: `Unknown variables left as written: ${prompt.unknown.join(", ")}`
      })
    return {
      ...ctx,
      clock,
      started,
      deadline: started + spec.limits.timeoutSeconds * 1000,
      recorder,
      vars,
      prompt: prompt.text,
      progress
    }
  })
