/**
 * Every import of `@modelcontextprotocol/sdk` in this package: the SDK's v2 line renames these
 * paths, and keeping them in one module keeps that change to one file.
 */
export { Server } from "@modelcontextprotocol/sdk/server/index.js"
export { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
export {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  GetPromptRequestSchema,
  type GetPromptResult,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type ListToolsResult,
  type Prompt as ListedPrompt,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  type Resource as ListedResource,
  type ResourceTemplate as ListedResourceTemplate,
  type Tool as ListedTool,
  type ToolAnnotations
} from "@modelcontextprotocol/sdk/types.js"
