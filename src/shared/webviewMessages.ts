// Messages between the extension host and its webviews (side panel, run report, activations,
// classification). Both ends check every message; an unknown or malformed one is ignored and logged.
import { z } from 'zod';
import { classificationSchema, comparisonRowSchema, epochEventSchema, layerInfoSchema, runSummarySchema } from './protocol.js';
import { reportDataSchema } from './report.js';

/** Commands a webview button may ask the host to run (nothing else is accepted). */
export const WEBVIEW_COMMANDS = [
  'fttl.selectDataset',
  'fttl.extractFeatures',
  'fttl.trainHead',
  'fttl.finetune',
  'fttl.evaluate',
  'fttl.compareRuns',
  'fttl.classifyImage',
  'fttl.showActivations',
  'fttl.chooseBackbone',
  'fttl.showBackend',
] as const;

export const toWebviewSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('runs'),
    runs: z.array(runSummarySchema),
    dataset: z.string().nullable(),
    backbone: z.string(),
    busy: z.string().nullable(),
    trusted: z.boolean(),
  }),
  z.object({ type: z.literal('report'), data: reportDataSchema }),
  z.object({ type: z.literal('comparison'), rows: z.array(comparisonRowSchema) }),
  z.object({
    type: z.literal('live'),
    title: z.string(),
    epochs: z.array(epochEventSchema),
    state: z.enum(['running', 'done', 'failed', 'cancelled']),
    message: z.string().optional(),
  }),
  z.object({ type: z.literal('thumbs'), thumbs: z.record(z.string()) }),
  z.object({ type: z.literal('classification'), runId: z.string(), classes: z.array(z.string()), results: z.array(classificationSchema) }),
  z.object({ type: z.literal('layers'), backbone: z.string(), defaultLayer: z.string(), layers: z.array(layerInfoSchema), image: z.string().nullable() }),
  z.object({
    type: z.literal('activations'),
    layer: z.string(),
    shape: z.array(z.number()),
    shown: z.number(),
    columns: z.number(),
    grid: z.string(),
    image: z.string(),
    imagePath: z.string(),
  }),
  z.object({ type: z.literal('filters'), layer: z.string(), shape: z.array(z.number()), shown: z.number(), grid: z.string() }),
  z.object({ type: z.literal('gradcam'), result: classificationSchema }),
  z.object({ type: z.literal('busy'), message: z.string().nullable() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type ToWebview = z.infer<typeof toWebviewSchema>;

export const fromWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('openRun'), runId: z.string() }),
  z.object({ type: z.literal('compare'), runIds: z.array(z.string()).min(1) }),
  z.object({ type: z.literal('command'), command: z.enum(WEBVIEW_COMMANDS) }),
  z.object({ type: z.literal('thumbs'), paths: z.array(z.string()).max(500) }),
  z.object({ type: z.literal('pickImage') }),
  z.object({ type: z.literal('activations'), layer: z.string().min(1) }),
  z.object({ type: z.literal('filters'), layer: z.string().optional() }),
  z.object({ type: z.literal('gradcam') }),
  z.object({ type: z.literal('log'), message: z.string().max(2000) }),
]);
export type FromWebview = z.infer<typeof fromWebviewSchema>;

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

function parseWith<T>(schema: z.ZodType<T>, raw: unknown): Parsed<T> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const type = typeof raw === 'object' && raw !== null && 'type' in raw ? JSON.stringify((raw as { type: unknown }).type) : typeof raw;
  const issue = r.error.issues[0];
  return { ok: false, reason: `message ${type ?? '?'} rejected: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` };
}

/** Host side: a webview's message, or why it was ignored. */
export const parseFromWebview = (raw: unknown) => parseWith(fromWebviewSchema, raw);
/** Webview side: a host message, or why it was ignored. */
export const parseToWebview = (raw: unknown) => parseWith(toWebviewSchema, raw);
