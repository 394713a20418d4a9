/**
 * The composition root of core's ports (shared/core/ports.ts): the DynamoDB stores are the adapters.
 * Importing this module wires them, once, before any use-case runs; every entry point that reaches core
 * imports it (each HTTP function but meta, whose bundle stays free of DynamoDB; the WebSocket shell; the
 * pipeline functions that publish; the local stack; the operator CLI): test/unit/architecture.test.ts
 * checks that. Each store module is handed over whole: TypeScript checks that it has what the port
 * declares, with the port's exact signatures (naming each function instead saves under 10 KB a bundle).
 */
import { provide } from '#core/ports.js';
import * as apiKeys from './store/api-keys.js';
import * as connections from './store/connections.js';
import * as documents from './store/documents.js';
import * as executions from './store/executions.js';
import * as operatorSessions from './store/operator-sessions.js';
import * as questionBank from './store/question-bank.js';
import * as sessionQuestions from './store/questions.js';
import * as rateLimits from './store/rate-limit.js';
import * as reviewLinks from './store/review-links.js';
import * as sessions from './store/sessions.js';
import * as snapshots from './store/snapshots.js';
import * as timeline from './store/timeline.js';

provide({ apiKeys, connections, documents, executions, operatorSessions, questionBank, sessionQuestions, rateLimits, reviewLinks, sessions, snapshots, timeline });
