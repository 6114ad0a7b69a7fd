/**
 * @armature/alerts — alert sinks for core's `AlertSink` port: Slack (Web API), email (core's
 * `EmailSender`, with a Resend adapter) and signed webhooks (Standard Webhooks), routed by
 * destination type so plugin sinks sit beside them; the Slack app's OAuth install; and agents'
 * proposals posted to Slack for approval (core's `ProposalNotices`).
 */

export type { TypedSink } from "./AlertSinks.js"
export * as AlertSinks from "./AlertSinks.js"
export * as EmailMessage from "./EmailMessage.js"
export * as EmailSink from "./EmailSink.js"
export * as ResendEmail from "./ResendEmail.js"
export * as SlackActions from "./SlackActions.js"
export * as SlackInstall from "./SlackInstall.js"
export * as SlackMessage from "./SlackMessage.js"
export * as SlackProposalMessage from "./SlackProposalMessage.js"
export * as SlackProposals from "./SlackProposals.js"
export * as SlackSink from "./SlackSink.js"
export * as WebhookPayload from "./WebhookPayload.js"
export * as WebhookSink from "./WebhookSink.js"
