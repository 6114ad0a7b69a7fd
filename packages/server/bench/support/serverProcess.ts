/**
 * The processes a bench starts: `armature serve` from the bundle (`dist/armature.mjs`, built by
 * `npm run build`), as a user runs it, on a bench database; and any other Node process that
 * prints a line when it is ready (a baseline server, PGlite alone): started, waited for and
 * stopped the same way in every bench.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { fileURLToPath } from "node:url"

/** The bundled CLI. */
export const bin = fileURLToPath(new URL("../../dist/armature.mjs", import.meta.url))

/** SIGTERM, resolved once the process has exited (at once if it already has). */
export const stopChild = (child: ChildProcess) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null) return done()
    child.once("exit", () => done())
    child.kill("SIGTERM")
  })

/** A child process that said it is ready. */
export interface Started {
  readonly pid: number
  /** `performance.now()` when its output first showed it ready. */
  readonly readyAt: number
  /** All it printed up to then. */
  readonly printed: string
  /** What it printed: once ready, only the last 64 KiB are kept (shown if something goes wrong). */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/**
 * `node argv` with this process's environment and `env` over it (an `undefined` value unsets a
 * variable); resolves once `ready` holds for all it printed (stdout and, unless inherited,
 * stderr), rejects if it exits before.
 */
export const startChild = (
  what: string,
  argv: ReadonlyArray<string>,
  options: {
    readonly env?: Record<string, string | undefined>
    readonly ready: (printed: string) => boolean
    readonly stderr?: "pipe" | "inherit"
  }
) =>
  new Promise<Started>((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env }
    for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name]
    const child = spawn(process.execPath, argv, {
      env,
      stdio: ["ignore", "pipe", options.stderr ?? "pipe"]
    })
    let out = ""
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      if (!options.ready(out)) return
      const readyAt = performance.now()
      const printed = out
      child.stdout?.off("data", onData)
      child.stderr?.off("data", onData)
      const keep = (c: Buffer) => {
        out = (out + c.toString()).slice(-65_536)
      }
      child.stdout?.on("data", keep)
      child.stderr?.on("data", keep)
      resolve({ pid: child.pid!, readyAt, printed, output: () => out, stop: () => stopChild(child) })
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => reject(new Error(`${what} exited ${code} before ready:\n${out}`)))
  })

/** The key's request budget off and the failed-key limiter out of reach: load from one key. */
export const noRateLimits = {
  ARMATURE_RATE_LIMIT_PER_MINUTE: "0",
  ARMATURE_AUTH_FAILURE_LIMIT: "1000000"
} as const

/** A running `armature serve`: where it listens and the owner key it printed. */
export interface ServerProcess extends Pick<Started, "pid" | "output" | "stop"> {
  readonly origin: string
  readonly key: string
}

const listeningLine = /Listening on (http:\/\/[^\s"]+)/
const ownerKeyLine = /\b(amt_[a-z0-9]+_[A-Za-z0-9_-]+)/

/** The environment of a bench's `armature serve`: see `startServer`. */
const serveEnv = (databaseUrl: string, env: Record<string, string | undefined>) => ({
  DATABASE_URL: databaseUrl,
  ARMATURE_SECRET_KEY: randomBytes(32).toString("base64"),
  PORT: "0",
  HOST: "127.0.0.1",
  ARMATURE_ALLOW_LOOPBACK: "true",
  ...env,
  ARMATURE_DATA_DIR: undefined
})

/**
 * `armature serve` from the bundle on `databaseUrl` (a new secret key, a free port on loopback,
 * loopback MCP servers allowed), `env` over that (an `undefined` value unsets a variable;
 * `ARMATURE_DATA_DIR` is always unset); resolves once it listens and has printed its owner key.
 * With `cpuProfileDir`, it runs with `--cpu-prof` into that directory (written when it exits).
 */
export const startServer = async (
  databaseUrl: string,
  env: Record<string, string | undefined> = {},
  cpuProfileDir?: string
): Promise<ServerProcess> => {
  const argv =
    cpuProfileDir === undefined
      ? [bin, "serve"]
      : ["--cpu-prof", "--cpu-prof-dir", cpuProfileDir, bin, "serve"]
  const started = await startChild("armature serve", argv, {
    env: serveEnv(databaseUrl, env),
    ready: (printed) => listeningLine.test(printed) && ownerKeyLine.test(printed)
  })
  return {
    origin: listeningLine.exec(started.printed)![1]!.replace("0.0.0.0", "127.0.0.1"),
    key: ownerKeyLine.exec(started.printed)![1]!,
    pid: started.pid,
    output: started.output,
    stop: started.stop
  }
}

/**
 * Another `armature serve` on the database of a running one (a replica): the same environment as
 * `startServer`, so `env` must carry the first one's `ARMATURE_SECRET_KEY`; resolves once it
 * listens (the organization exists already, so it prints no owner key).
 */
export const startReplica = async (
  databaseUrl: string,
  env: Record<string, string | undefined>
): Promise<Omit<ServerProcess, "key">> => {
  const started = await startChild("armature serve (replica)", [bin, "serve"], {
    env: serveEnv(databaseUrl, env),
    ready: (printed) => listeningLine.test(printed)
  })
  return {
    origin: listeningLine.exec(started.printed)![1]!.replace("0.0.0.0", "127.0.0.1"),
    pid: started.pid,
    output: started.output,
    stop: started.stop
  }
}
