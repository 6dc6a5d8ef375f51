import type { ChatMessage, RunRequest } from '../executor.js';
import { toWireMessages } from './history.js';

export interface BodyOptions {
  /** Stream the answer (`stream: true`), or ask for one JSON response. */
  stream: boolean;
  /** Add `stream_options: {include_usage: true}` (only meaningful when streaming). */
  streamUsage: boolean;
}

/**
 * The Chat Completions request body for one turn. Per-model `params` (and
 * `reasoning_params` when the run asks for reasoning) are merged over our
 * defaults, so config can replace `response_format` for servers without
 * `json_schema`; the fields the executor depends on (model, messages,
 * stream, tools) always win.
 */
export function buildRequestBody(
  request: RunRequest,
  history: ChatMessage[],
  options: BodyOptions,
): Record<string, unknown> {
  const { model } = request;
  const body: Record<string, unknown> = {};
  if (request.outputSchema) {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: 'outputs', schema: request.outputSchema, strict: false },
    };
  }
  Object.assign(body, model.params ?? {});
  if (request.reasoning) Object.assign(body, model.reasoning_params ?? {});
  body.model = model.model ?? model.name;
  body.messages = toWireMessages(history, { sendReasoning: model.send_reasoning });
  body.stream = options.stream;
  if (options.stream && options.streamUsage) body.stream_options = { include_usage: true };
  else delete body.stream_options;
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  } else {
    // A tool_choice without tools is rejected by most servers.
    delete body.tools;
    delete body.tool_choice;
  }
  return body;
}

/** Request headers: identity encoding so no proxy buffers a gzip stream. */
export function buildHeaders(request: RunRequest, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    accept: stream ? 'text/event-stream' : 'application/json',
    'accept-encoding': 'identity',
    'user-agent': 'switchboard',
  };
  if (request.model.api_key) headers.authorization = `Bearer ${request.model.api_key}`;
  return headers;
}
