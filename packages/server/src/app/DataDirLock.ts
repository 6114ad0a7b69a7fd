import { FileSystem, Path } from "@effect/platform"
import { Context, Data, Effect, Layer } from "effect"

/** Another process holds the embedded data dir. */
export class DataDirLocked extends Data.TaggedError("DataDirLocked")<{
  readonly dataDir: string
  readonly pid: number
}> {
  override get message() {
    return `The embedded database in ${this.dataDir} is in use by process ${this.pid} (armature serve?). Stop it, or point DATABASE_URL at PostgreSQL to share one database between processes.`
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * PGlite is one process's database: two processes writing one data dir would corrupt it. The
 * lock is a file holding the owner's pid, created exclusively; a lock whose process is gone is
 * stale and taken over.
 */
export class DataDirLock extends Context.Tag("@armature/server/DataDirLock")<
  DataDirLock,
  { readonly dataDir: string }
>() {
  static layer = (dataDir: string) =>
    Layer.scoped(
      DataDirLock,
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const file = path.join(dataDir, "armature.lock")
        yield* fs.makeDirectory(dataDir, { recursive: true })
        const take = fs.writeFileString(file, String(process.pid), { flag: "wx" })
        yield* take.pipe(
          Effect.catchAll(() =>
            Effect.gen(function* () {
              const pid = Number((yield* fs.readFileString(file).pipe(Effect.orElseSucceed(() => ""))).trim())
              if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
                return yield* new DataDirLocked({ dataDir, pid })
              }
              yield* fs.remove(file).pipe(Effect.ignore)
              yield* take
            })
          )
        )
        yield* Effect.addFinalizer(() => fs.remove(file).pipe(Effect.ignore))
        return { dataDir }
      })
    )
}
