/**
 * @armature/runner — everything that touches a server under test or a language model: the MCP
 * connector, probes and drift, the tester agent and judge, run execution, monitor checks, replay,
 * the default model adapter and the worker.
 */
export * as AddressGuard from "./AddressGuard.js"
export * as Agent from "./Agent.js"
export * as Judge from "./Judge.js"
export * as McpConnector from "./McpConnector.js"
export * as Models from "./Models.js"
export * as MonitorCheck from "./MonitorCheck.js"
export * as Prober from "./Prober.js"
export * as Replay from "./Replay.js"
export * as RunExecutor from "./RunExecutor.js"
export * as RunJob from "./RunJob.js"
export * as SessionPool from "./SessionPool.js"
export * as Worker from "./Worker.js"
