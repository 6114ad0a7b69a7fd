/** The reference server as a library: the whole server as a Layer, its configuration, and the CLI. */
export * as App from "./app/App.js"
export { Cli } from "./cli/Cli.js"
export { loadConfigFile } from "./config/loadConfigFile.js"
export * as ServerConfig from "./config/ServerConfig.js"
export * as Armature from "./embed/Armature.js"
export { ArmatureError, type ArmatureInstance, createArmature } from "./embed/createArmature.js"
export * as LocalTest from "./localTest/LocalTest.js"
