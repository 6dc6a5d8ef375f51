import type { ModelConfig } from '../config/types.js';
import { DemoExecutor } from './demo.js';
import type { Executor } from './executor.js';
import { OpenAIExecutor } from './openai/openai-executor.js';

/** Executors keep no per-run state, so one of each kind serves every run. */
const openai = new OpenAIExecutor();
const demo = new DemoExecutor();

/** The executor for a configured model. Throws for an `openai` model without `base_url`. */
export function createExecutor(model: ModelConfig): Executor {
  switch (model.kind) {
    case 'openai':
      if (!model.base_url) throw new Error(`model "${model.name}" has kind openai but no base_url`);
      return openai;
    case 'demo':
      return demo;
    default: {
      const unknownKind: never = model.kind;
      throw new Error(`model "${(model as ModelConfig).name}" has unknown kind "${String(unknownKind)}"`);
    }
  }
}

export { closeModelConnections } from './openai/http-client.js';
