import { type FieldError, validationFailed } from "@armature/core"
import { Effect, Redacted } from "effect"
import type { Options, Secret } from "./Options.js"

const isUrl = (value: string, protocols: ReadonlyArray<string>) =>
  URL.canParse(value) && protocols.includes(new URL(value).protocol)

const blank = (secret: Secret | undefined) =>
  secret !== undefined && (typeof secret === "string" ? secret : Redacted.value(secret)).trim() === ""

const positiveInteger = (value: number | undefined) =>
  value === undefined || (Number.isInteger(value) && value >= 1)

/**
 * Refuses options that cannot work, naming each field at fault (`database.url`), before anything
 * starts; never with a secret's value in the message.
 */
export const checkOptions = (options: Options) => {
  const errors: FieldError[] = []
  const fail = (field: string, message: string) => errors.push({ field, message })
  const db = options.database as Options["database"] | undefined
  if (db === undefined) fail("database", 'is required: { url, secretKey }, { dataDir } or "memory"')
  else if (typeof db === "string" && db !== "memory")
    fail("database", 'must be { url, secretKey }, { dataDir } or "memory"')
  else if (typeof db === "object" && "url" in db) {
    const url = typeof db.url === "string" ? db.url : Redacted.value(db.url)
    if (!isUrl(url, ["postgres:", "postgresql:"])) fail("database.url", "must be a postgres:// URL")
    if (db.secretKey === undefined || blank(db.secretKey))
      fail("database.secretKey", "is required with a database URL (it encrypts stored credentials)")
    if (!positiveInteger(db.maxConnections))
      fail("database.maxConnections", "must be a whole number of at least 1")
  } else if (typeof db === "object" && "dataDir" in db) {
    if (db.dataDir.trim() === "") fail("database.dataDir", "must be a directory path")
    if (blank(db.secretKey)) fail("database.secretKey", "must not be empty")
  }
  if (options.publicUrl !== undefined && !isUrl(options.publicUrl, ["http:", "https:"]))
    fail("publicUrl", "must be an http(s) URL such as https://app.example.com")
  if (options.openai !== undefined) {
    if (blank(options.openai.apiKey)) fail("openai.apiKey", "must not be empty")
    if (options.openai.baseURL !== undefined && !isUrl(options.openai.baseURL, ["http:", "https:"]))
      fail("openai.baseURL", "must be an http(s) URL")
  }
  const alerts = options.alerts ?? {}
  if (alerts.resendApiKey !== undefined && (alerts.emailFrom ?? "").trim() === "")
    fail(
      "alerts.emailFrom",
      "is required with alerts.resendApiKey (the sender, on a domain verified at Resend)"
    )
  for (const [field, url] of [
    ["alerts.slackApiUrl", alerts.slackApiUrl],
    ["alerts.resendBaseUrl", alerts.resendBaseUrl]
  ] as const) {
    if (url !== undefined && !isUrl(url, ["http:", "https:"])) fail(field, "must be an http(s) URL")
  }
  const worker = options.worker ?? {}
  if (!positiveInteger(worker.concurrency)) fail("worker.concurrency", "must be a whole number of at least 1")
  if (!positiveInteger(worker.monitorConcurrency))
    fail("worker.monitorConcurrency", "must be a whole number of at least 1")
  const timeout = options.network?.connectTimeoutMs
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout >= 100))
    fail("network.connectTimeoutMs", "must be at least 100 (milliseconds)")
  if (options.tracing !== undefined && !isUrl(options.tracing.endpoint, ["http:", "https:"]))
    fail("tracing.endpoint", "must be an http(s) URL, the collector's base (spans go to /v1/traces)")
  const limit = options.rateLimitPerMinute
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0))
    fail("rateLimitPerMinute", "must be a whole number, 0 (no limit) or more")
  return errors.length === 0 ? Effect.void : Effect.fail(validationFailed(errors))
}
