/**
 * A loopback TCP proxy that can stall: while stalled, open connections are dropped and new ones
 * are held unanswered, so whatever talks to the target through it waits (a run that cannot
 * finish); `resume` lets the held connections through.
 */
import { createConnection, createServer, type Socket } from "node:net"

export interface StallingProxy {
  readonly port: number
  readonly stall: () => void
  readonly resume: () => void
  readonly close: () => Promise<void>
}

export const startStallingProxy = async (target: { host: string; port: number }): Promise<StallingProxy> => {
  const open = new Set<Socket>()
  let held: Array<() => void> = []
  let stalled = false
  const track = (socket: Socket) => {
    open.add(socket)
    socket.on("close", () => open.delete(socket))
    socket.on("error", () => socket.destroy())
  }
  const connect = (client: Socket) => {
    if (client.destroyed) return
    const upstream = createConnection(target)
    track(upstream)
    upstream.on("close", () => client.destroy())
    client.on("close", () => upstream.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
  }
  const server = createServer((client) => {
    track(client)
    if (stalled) held.push(() => connect(client))
    else connect(client)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as { port: number }).port,
    stall: () => {
      stalled = true
      // Idle keep-alive connections would otherwise carry the next request straight through.
      for (const socket of open) socket.destroy()
    },
    resume: () => {
      stalled = false
      const waiting = held
      held = []
      for (const go of waiting) go()
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy()
        server.close(() => resolve())
      })
  }
}
