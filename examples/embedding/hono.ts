/**
 * Armature's REST and MCP APIs inside an existing Hono application, beside its own routes: Hono
 * speaks Web-standard requests, so Armature's `fetch` handler answers them as they are.
 */

import type { ArmatureInstance } from "@armature/server"
import { type ServerType, serve } from "@hono/node-server"
import { Hono } from "hono"

/** The application, served by `@hono/node-server` on a free loopback port. */
export const startHonoApp = async (armature: ArmatureInstance) => {
  // #region mount
  const app = new Hono()
  app.all("/api/armature/*", (c) => armature.fetch(c.req.raw))
  app.all("/api/mcp", (c) => armature.fetch(c.req.raw))
  app.get("/hello", (c) => c.json({ hello: "from hono" }))
  // #endregion mount
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ server: s, port: info.port })
    )
  })
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
