// Entry of the engine worker (dist/worker.js): one long-lived worker_threads thread that owns
// TensorFlow.js, the loaded backbones and every long computation, so the extension host stays responsive.
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendPreference } from '../engine/backend/selectBackend.js';
import { engineHandlers } from './handlers.js';
import { serve } from './serve.js';

if (!parentPort) throw new Error('dist/worker.js runs as a worker thread of the FTTL extension, not on its own.');
const data = (workerData ?? {}) as { backend?: BackendPreference };
serve(parentPort, engineHandlers({ backend: data.backend ?? 'auto', testHooks: process.env['FTTL_WORKER_TEST_HOOKS'] === '1' }));
