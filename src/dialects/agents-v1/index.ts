import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { conversationCreate } from './conversation-handlers.js';
import { agentsV1Envelope } from './envelope.js';
import { renderAgentsV1Error } from './errors.js';
import { fileDownload, fileList, fileUpload } from './file-handlers.js';
import { asUser } from '../../http/as-user.js';
import { messageSend } from './message-handlers.js';
import { taskCancel, taskPoll } from './task-handlers.js';
import { v1Views } from './task-poll.js';

/**
 * The Agents API v1 (`/api/v1/*`, specs/agents-v1.openapi.yaml): background
 * tasks polled for their events, and per-user files. Every operation needs a
 * bearer token (declared in config/dialects/agents-v1.yaml, checked by the
 * mount); handlers return bodies without `success`, the envelope adds it.
 */
export const createAgentsV1Dialect: DialectFactory = ({ engine, config, views }) => ({
  name: 'agents-v1',
  handlers: {
    // Any route of the table not implemented below answers 501 in this API's error shape.
    ...notImplementedHandlers('agents-v1'),
    conversationCreate: asUser(conversationCreate(engine, config)),
    messageSend: asUser(messageSend(engine, config)),
    taskPoll: asUser(taskPoll(v1Views(views))),
    taskCancel: asUser(taskCancel(engine)),
    fileUpload: asUser(fileUpload(engine)),
    fileList: asUser(fileList(engine)),
    fileDownload: asUser(fileDownload(engine)),
  },
  envelope: agentsV1Envelope,
  renderError: renderAgentsV1Error,
});
