import * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FttlError } from '../util/errors.js';

/** What a TF.js model.json holds (the parts we read). */
interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: tf.io.ModelArtifacts['userDefinedMetadata'];
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes one weight occupies in a shard (quantized weights are stored in their quantized dtype). */
function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, d) => a * d, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (bytes === undefined) throw new FttlError('weights', `weight ${spec.name} has unsupported dtype ${dtype}`);
  return n * bytes;
}

/**
 * A TF.js IOHandler that reads model.json and its weight shards from disk: plain @tensorflow/tfjs has
 * no file:// handler in Node. Shards are read from the paths the manifest lists, relative to
 * model.json; hosted models often name them without ".bin" (and copies sometimes add or drop it),
 * so the other spelling is tried too. Every failure is an FttlError('weights') naming the file.
 */
export function fileSystemModelHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = await readModelJson(modelJsonPath);
      const dir = dirname(modelJsonPath);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        const groupBytes = group.weights.reduce((a, s) => a + specBytes(s), 0);
        const parts: Buffer[] = [];
        for (const p of group.paths) parts.push(await readShard(resolve(dir, p), modelJsonPath));
        const data = Buffer.concat(parts);
        if (data.byteLength !== groupBytes) {
          throw new FttlError(
            'weights',
            `Weight shards ${group.paths.join(', ')} beside ${modelJsonPath} hold ${data.byteLength} bytes but its weightsManifest needs ${groupBytes}: the files are truncated or belong to another model.`,
          );
        }
        weightSpecs.push(...group.weights);
        buffers.push(data);
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

/** Reads and checks model.json; a clear error when it is missing or not a TF.js Layers model. */
export async function readModelJson(modelJsonPath: string): Promise<ModelJson> {
  let text: string;
  try {
    text = await readFile(modelJsonPath, 'utf8');
  } catch (err) {
    throw new FttlError('weights', `Cannot read the TF.js model file ${modelJsonPath}: ${(err as Error).message}`, { cause: err });
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (err) {
    throw new FttlError('weights', `${modelJsonPath} is not valid JSON (${(err as Error).message}).`, { cause: err });
  }
  if (json === null || typeof json !== 'object' || json.modelTopology == null) {
    throw new FttlError('weights', `${modelJsonPath} has no "modelTopology": it is not a TF.js Layers model.json.`);
  }
  if (json.format === 'graph-model') {
    throw new FttlError(
      'weights',
      `${modelJsonPath} is a TF.js graph model; FTTL needs a Layers model (converted from Keras) to pick feature layers.`,
    );
  }
  if (json.weightsManifest !== undefined && !Array.isArray(json.weightsManifest)) {
    throw new FttlError('weights', `${modelJsonPath}: "weightsManifest" is not a list.`);
  }
  return json;
}

async function readShard(path: string, modelJsonPath: string): Promise<Buffer> {
  const candidates = path.endsWith('.bin') ? [path, path.slice(0, -4)] : [path, `${path}.bin`];
  for (const p of candidates) {
    const s = await stat(p).catch(() => undefined);
    if (s?.isFile()) return readFile(p);
  }
  throw new FttlError('weights', `Weight shard ${path} (listed in ${modelJsonPath}) is missing.`);
}
