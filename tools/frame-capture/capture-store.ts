import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One manifest entry: what a fixture file holds and who sent it. */
export interface CaptureEntry {
  apiKey: number;
  apiVersion: number;
  client: string;
  clientVersion: string;
  note: string;
}

export type CaptureManifest = Record<string, CaptureEntry>;

export interface CaptureRequest {
  apiKey: number;
  /** Spec name, e.g. `InitProducerId`. */
  apiName: string;
  apiVersion: number;
  /** Distinguishes captures of one api+version worth keeping apart (Produce: the codec), or ''. */
  variant: string;
  /** The request frame without its int32 size prefix: header then body. */
  frame: Buffer;
  note: string;
}

/** `InitProducerId` → `init-producer-id`. */
export function kebabName(apiName: string): string {
  return apiName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

export function fixtureFileName(apiName: string, apiVersion: number, variant: string): string {
  return `${kebabName(apiName)}-v${apiVersion}${variant ? `-${variant}` : ''}.bin`;
}

/**
 * Writes the first capture of each (api, version, variant) of one client to `<out>/<client>/`, and
 * rewrites `manifest.json` after every new file so a killed run still leaves a consistent set.
 */
export class CaptureStore {
  readonly dir: string;
  private readonly client: string;
  private readonly clientVersion: string;
  private readonly manifest: CaptureManifest;

  /** `fresh` removes what an earlier run left in the client's folder. */
  constructor(outDir: string, client: string, clientVersion: string, fresh: boolean) {
    this.dir = join(outDir, client);
    this.client = client;
    this.clientVersion = clientVersion;
    if (fresh) rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.manifest = fresh ? {} : readManifest(this.dir);
  }

  /** Returns the file name when the capture was new and written, else null. */
  record(req: CaptureRequest): string | null {
    const file = fixtureFileName(req.apiName, req.apiVersion, req.variant);
    if (this.manifest[file]) return null;
    writeFileSync(join(this.dir, file), req.frame);
    this.manifest[file] = {
      apiKey: req.apiKey,
      apiVersion: req.apiVersion,
      client: this.client,
      clientVersion: this.clientVersion,
      note: req.note,
    };
    const sorted: CaptureManifest = {};
    for (const name of Object.keys(this.manifest).sort()) sorted[name] = this.manifest[name]!;
    writeFileSync(join(this.dir, 'manifest.json'), `${JSON.stringify(sorted, null, 2)}\n`);
    return file;
  }

  files(): string[] {
    return Object.keys(this.manifest).sort();
  }
}

export function readManifest(dir: string): CaptureManifest {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CaptureManifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}
