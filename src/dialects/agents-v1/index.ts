import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { conversationCreate } from './conversation-handlers.js';
import { agentsV1Envelope } from './envelope.js';
import { renderAgentsV1Error } from './errors.js';
import { fileDownload, fileList, fileUpload } from './file-handlers.js';
import { guarded } from './guard.js';
import { messageSend } from './message-handlers.js';
import { taskCancel, taskPoll } from './task-handlers.js';

/**
 * The Agents API v1 (`/api/v1/*`, specs/agents-v1.openapi.yaml): background
 * tasks polled for their events, and per-user files. Every operation needs a
 * bearer token; handlers return bodies without `success`, the envelope adds it.
 */
export const createAgentsV1Dialect: DialectFactory = ({ engine, config, bearer }) => ({
  name: 'agents-v1',
  handlers: {
    // Any route of the table not implemented below answers 501 in this API's error shape.
    ...notImplementedHandlers('agents-v1'),
    conversationCreate: guarded(bearer, conversationCreate(engine, config)),
    messageSend: guarded(bearer, messageSend(engine, config)),
    taskPoll: guarded(bearer, taskPoll(engine)),
    taskCancel: guarded(bearer, taskCancel(engine)),
    fileUpload: guarded(bearer, fileUpload(engine)),
    fileList: guarded(bearer, fileList(engine)),
    fileDownload: guarded(bearer, fileDownload(engine)),
  },
  envelope: agentsV1Envelope,
  renderError: renderAgentsV1Error,
});
