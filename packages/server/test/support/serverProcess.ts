import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../src/bin.ts", import.meta.url))

/** A running `armature serve` child process, started from source through tsx. */
export interface ServerProcess {
  readonly child: ChildProcess
  readonly baseUrl: string
  /** Everything it printed so far (stdout and stderr). */
  readonly output: () => string
  /** The owner key, when this process created the organization. */
  readonly ownerKey: string | null
  /** SIGTERM, then the exit code once it drained and exited. */
  readonly stop: () => Promise<number | null>
}

/** This process's environment with `env` over it; an `undefined` value unsets the variable. */
const childEnv = (env: Record<string, string | undefined>) => {
  const merged: Record<string, string | undefined> = { ...process.env, ...env }
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key]
  return merged
}

/**
 * Starts `armature serve` in a child process with `env` and resolves once it listens.
 * The `@armature/source` condition makes workspace imports resolve to TypeScript sources, so no
 * build is needed.
 */
export const startServer = (env: Record<string, string | undefined>, args: ReadonlyArray<string> = []) =>
  new Promise<ServerProcess>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@armature/source", "--import", "tsx", bin, "serve", ...args],
      { env: childEnv({ PORT: "0", ...env }), stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`armature serve did not start within 60 s:\n${output}`))
    }, 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const listening = /Listening on (http:\/\/[^\s"]+)/.exec(output)
      if (!listening) return
      clearTimeout(timer)
      child.stdout?.off("data", onData)
      child.stderr?.off("data", onData)
      child.stdout?.on("data", (c: Buffer) => {
        output += c.toString()
      })
      child.stderr?.on("data", (c: Buffer) => {
        output += c.toString()
      })
      resolve({
        child,
        baseUrl: listening[1]!.replace("0.0.0.0", "127.0.0.1"),
        output: () => output,
        ownerKey: /\b(amt_[a-z0-9]+_[A-Za-z0-9_-]+)/.exec(output)?.[1] ?? null,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode)
            child.once("exit", (code) => done(code))
            child.kill("SIGTERM")
          })
      })
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`armature serve exited with ${code}:\n${output}`))
    })
  })

/** A JSON REST call with a bearer key; throws with the body on a non-2xx status. */
export const rest = async (baseUrl: string, key: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${baseUrl}/api/armature/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`)
  return JSON.parse(text) as any
}

/** A REST call with a bearer key, whatever it answers: the status and the parsed body (`null` when empty). */
export const restReply = async (
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown
) => {
  const res = await fetch(`${baseUrl}/api/armature/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: text === "" ? null : (JSON.parse(text) as any) }
}

/** Runs one `armature` command to completion in a child process: its exit code and output. */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string | undefined>) =>
  new Promise<{ readonly code: number | null; readonly output: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@armature/source", "--import", "tsx", bin, ...args],
      {
        env: childEnv(env),
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    let output = ""
    child.stdout?.on("data", (c: Buffer) => {
      output += c.toString()
    })
    child.stderr?.on("data", (c: Buffer) => {
      output += c.toString()
    })
    child.once("exit", (code) => resolve({ code, output }))
  })
