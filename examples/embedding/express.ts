/**
 * Armature's REST and MCP APIs inside an existing Express 5 application, beside its own routes.
 * Armature reads the request body itself, so its routes come before any body parser.
 */
import type { Server } from "node:http"
import type { ArmatureInstance } from "@armature/server"
import express from "express"

/** The application, listening on a free loopback port. */
export const startExpressApp = async (armature: ArmatureInstance) => {
  // #region mount
  const app = express()
  app.all(["/api/armature/*path", "/api/mcp"], armature.nodeHandler)
  app.use(express.json()) // the application's own body parser, after Armature's routes
  app.get("/hello", (_req, res) => {
    res.json({ hello: "from express" })
  })
  // #endregion mount
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s))
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("expected a TCP address")
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
