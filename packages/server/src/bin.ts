#!/usr/bin/env node
import { NodeRuntime } from "@effect/platform-node"
import { Cli } from "./cli/Cli.js"

NodeRuntime.runMain(Cli(process.argv), { disablePrettyLogger: true })
