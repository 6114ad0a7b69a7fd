/** Messages and deliveries for the sink tests. */
import { randomUUID } from "node:crypto"
import type { AlertMessage, Delivery, Destination } from "@armature/core"

export const message = (overrides: Partial<AlertMessage> = {}): AlertMessage => ({
  kind: "firing",
  ruleName: "Weather down",
  subject: "[Armature] Weather down: Weather check fail",
  objectName: "Weather check",
  outcome: "fail",
  summary: "Criterion 'Reports the temperature' failed: no temperature in the answer.",
  link: "https://armature.example/runs/r-1",
  at: new Date("2026-01-01T10:00:00Z"),
  target: { type: "monitor", id: "m-1", name: "Weather check" },
  server: { id: "s-1", name: "Weather API" },
  toolName: "get_forecast",
  firingSince: new Date("2026-01-01T07:55:00Z"),
  ...overrides
})

export const delivery = (destination: Destination, overrides: Partial<Delivery> = {}): Delivery => ({
  id: randomUUID(),
  orgId: "org-1",
  message: message(),
  destination,
  ...overrides
})
