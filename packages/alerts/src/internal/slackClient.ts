import { LogLevel, WebClient } from "@slack/web-api"

/**
 * One Web API client for every organization (the token goes with each call), with the SDK's own
 * retries off: the caller decides what is worth retrying (the outbox does, for alerts).
 */
export const slackClient = (options: {
  readonly slackApiUrl?: string | undefined
  readonly timeoutMs?: number | undefined
}): WebClient => {
  const base = options.slackApiUrl ?? "https://slack.com/api/"
  return new WebClient(undefined, {
    slackApiUrl: base.endsWith("/") ? base : `${base}/`,
    retryConfig: { retries: 0 },
    // Without this a 429 makes the client sleep for Retry-After before failing anyway.
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    logLevel: LogLevel.ERROR
  })
}
