/**
 * Armature's REST and MCP APIs inside an existing Fastify 5 application, beside its own routes.
 * Armature reads the request body itself: in its own plugin scope no parser touches the body,
 * and the reply is hijacked so that Fastify sends nothing of its own.
 */
import type { ArmatureInstance } from "@armature/server"
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify"

/** The application, listening on a free loopback port. */
export const startFastifyApp = async (armature: ArmatureInstance) => {
  // #region mount
  const app = Fastify()
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null)) // left for Armature
    const forward = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack()
      armature.nodeHandler(request.raw, reply.raw)
    }
    scope.all("/api/armature/*", forward)
    scope.all("/api/mcp", forward)
  })
  app.get("/hello", async () => ({ hello: "from fastify" }))
  // #endregion mount
  await app.listen({ port: 0, host: "127.0.0.1" })
  const address = app.server.address()
  if (address === null || typeof address === "string") throw new Error("expected a TCP address")
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() }
}
