import { Config, Context, Layer, Option, type Redacted } from "effect"

/**
 * What the server itself reads from its environment. The adapters read their own settings
 * through `Config` as well: models (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `ARMATURE_OPENAI_MODELS`),
 * the MCP connector (`ARMATURE_ALLOW_LOOPBACK`, `ARMATURE_ALLOW_PRIVATE_NETWORKS`), the worker
 * (`ARMATURE_WORKER_CONCURRENCY`) and retention (`ARMATURE_RETENTION_*`).
 */
export interface ServerConfig {
  /** `None` → embedded PGlite in `dataDir`. */
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  readonly dataDir: string
  /** `None` in embedded mode → generated once and kept in `dataDir` (mode 0600). */
  readonly secretKey: Option.Option<Redacted.Redacted<string>>
  readonly host: string
  readonly port: number
  readonly publicUrl: string
  /** Plain `http://` server URLs beyond loopback. */
  readonly allowInsecureHttp: boolean
  /**
   * Commands that owners may register as stdio servers over the API (the operator's opt-in;
   * empty: only the operator — config files, the CLI — sets stdio commands).
   */
  readonly apiStdioCommands: ReadonlyArray<string>
}

export class ServerConfigTag extends Context.Tag("@armature/server/ServerConfig")<
  ServerConfigTag,
  ServerConfig
>() {}

/** The configuration, from environment variables (names in SCREAMING_CASE). */
export const config: Config.Config<ServerConfig> = Config.all({
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")),
  dataDir: Config.string("ARMATURE_DATA_DIR").pipe(Config.withDefault("./.armature/data")),
  secretKey: Config.option(Config.redacted("ARMATURE_SECRET_KEY")),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  // Platforms (Heroku, Render, Cloud Run…) announce the port in PORT.
  // 0 asks the OS for a free port (tests, several local servers).
  port: Config.integer("PORT").pipe(
    Config.validate({
      message: "Expected a port number between 0 and 65535",
      validation: (n) => n >= 0 && n <= 65535
    }),
    Config.withDefault(4100)
  ),
  publicUrl: Config.string("ARMATURE_PUBLIC_URL").pipe(Config.withDefault("")),
  allowInsecureHttp: Config.boolean("ARMATURE_ALLOW_INSECURE_HTTP").pipe(Config.withDefault(false)),
  // Comma-separated; blanks dropped, so an empty value means none.
  apiStdioCommands: Config.array(Config.string(), "ARMATURE_API_STDIO_COMMANDS").pipe(
    Config.map((commands) => commands.map((c) => c.trim()).filter((c) => c !== "")),
    Config.withDefault([])
  )
}).pipe(Config.map((c) => ({ ...c, publicUrl: c.publicUrl || `http://${c.host}:${c.port}` })))

/** Provides the configuration read from the environment. */
export const layer = Layer.effect(ServerConfigTag, config)

/** Whether this configuration runs on the embedded store. */
export const isEmbedded = (c: ServerConfig) => Option.isNone(c.databaseUrl)
