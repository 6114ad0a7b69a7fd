#!/usr/bin/env node
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cli } from "./cli/Cli.js"

NodeRuntime.runMain(Cli(process.argv), { disablePrettyLogger: true })
