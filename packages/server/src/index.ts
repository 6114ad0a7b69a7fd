export { Cli } from "./cli/Cli.js"
export { loadConfigFile } from "./config/loadConfigFile.js"
