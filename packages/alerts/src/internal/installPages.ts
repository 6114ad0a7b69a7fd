/** The plain pages a browser sees at the end of the Slack install flow. Nothing in them is a secret. */
import { escapeHtml } from "../EmailMessage.js"

const page = (title: string, message: string): string =>
  [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style>",
    `</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`
  ].join("\n")

/** The workspace is connected. */
export const connected = (teamName: string): string =>
  page(
    "Slack connected",
    `Armature is now connected to the Slack workspace ${teamName}. You can close this page; alert rules with a Slack destination post there.`
  )

/** The install did not happen, and why. */
export const failed = (reason: string): string => page("Slack was not connected", reason)
