// The WebGPU device of the sparsec process (tests, `sparsec run`, conformance): one from the `webgpu`
// package (Dawn), created on first use and kept until release() (an open device keeps Node's event
// loop alive). The object create() returns must stay referenced while the device is used.
import { UserError } from '../../src/util/errors.js';

export class NoAdapterError extends UserError {
  override name = 'NoAdapterError';
}

interface Held {
  gpu: unknown;
  device: GPUDeviceLike;
  adapter: string;
}

/** The parts of GPUDevice sparsec touches here. */
export interface GPUDeviceLike {
  destroy(): void;
  readonly limits: Record<string, number>;
}

let held: Promise<Held> | undefined;

async function open(): Promise<Held> {
  let mod: { create(flags: string[]): { requestAdapter(): Promise<unknown> } };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (e) {
    throw new NoAdapterError(`webgpu target: the webgpu package cannot load here (${(e as Error).message.split('\n')[0]})`);
  }
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  const gpu = mod.create(['disable-dawn-features=timestamp_quantization']);
  const adapter = (await gpu.requestAdapter()) as { limits: Record<string, number>; features: ReadonlySet<string>; info?: Record<string, unknown>; requestDevice(d: unknown): Promise<GPUDeviceLike> } | null;
  if (!adapter) throw new NoAdapterError('webgpu target: no WebGPU adapter found (without a GPU, install a software Vulkan driver: scripts/install-vulkan.sh)');
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits: { maxStorageBufferBindingSize: adapter.limits['maxStorageBufferBindingSize'], maxBufferSize: adapter.limits['maxBufferSize'] } });
  return { gpu, device, adapter: adapterName(adapter.info ?? {}) };
}

/** Software rasterisers that run "GPU" work on the CPU (their timings say nothing of a GPU's). */
const SOFTWARE = /llvmpipe|lavapipe|swiftshader|warp|softpipe/i;

/**
 * What kernel timings on an adapter depend on: vendor, architecture, device, description and driver
 * (adapter.info), marked "software" for CPU rasterisers; the key of the tuning database's records.
 */
export function adapterName(info: Record<string, unknown>): string {
  const parts = ['vendor', 'architecture', 'device', 'description', 'driver'].map((k) => info[k]).filter((v): v is string => typeof v === 'string' && v.length > 0);
  const name = [...new Set(parts)].join(' ') || 'unknown adapter';
  return info['isFallbackAdapter'] === true || SOFTWARE.test(name) ? `software: ${name}` : name;
}

/** The process's device (opened on first call). */
export async function processDevice(): Promise<{ device: GPUDeviceLike; adapter: string }> {
  held ??= open();
  try {
    const h = await held;
    return { device: h.device, adapter: h.adapter };
  } catch (e) {
    held = undefined;
    throw e;
  }
}

/** Destroys the process's device (if one was opened), so Node can exit. */
export async function releaseDevice(): Promise<void> {
  const h = held;
  held = undefined;
  if (!h) return;
  try {
    (await h).device.destroy();
  } catch {
    // it never opened: nothing to release
  }
}
