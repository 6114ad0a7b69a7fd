/**
 * Bundles the `armature` CLI into one ES module (dist/armature.mjs). Loading one file, with
 * the unused parts of `effect` and friends shaken out, takes about half the time of loading
 * the ~2,000 modules it is made of, which is most of a restart on the embedded store
 * (see bench/startup.bench.ts). PGlite stays external: it loads its WASM and data files from
 * its own package. tsx stays external: it installs a module loader for `.ts` config files.
 * stripe stays external: large, and loaded only by deployments that bill through Stripe.
 */
import { build } from "esbuild"

await build({
  entryPoints: [new URL("../dist/bin.js", import.meta.url).pathname],
  outfile: new URL("../dist/armature.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  external: ["@electric-sql/pglite", "@electric-sql/pglite/*", "pg-native", "tsx", "tsx/*", "stripe"],
  // CommonJS dependencies (pg, prom-client) call `require`, which an ES module lacks.
  banner: {
    js: "import { createRequire as __armatureRequire } from 'node:module'; const require = __armatureRequire(import.meta.url);"
  },
  // Whitespace and syntax only: names stay, so stack traces still read. The source is kept in
  // memory for lazy compilation, so a smaller file is a smaller idle heap too.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning"
})
