// Browser tests' shared part: a folder served over http on localhost (a secure origin, as WebGPU
// needs) and a page of it run in headless Chromium (Debian's, installed by scripts/install-browser.sh)
// until it sets window.__result; page errors are collected.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const TYPES: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.wgsl': 'text/plain' };

/** Serves `dir` on 127.0.0.1 (index.html at /); close() stops it. */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const file = join(dir, (req.url ?? '/') === '/' ? 'index.html' : req.url!.slice(1));
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Opens url in headless Chromium (extra flags: args) and returns what the page puts in window.__result, and its errors. */
export async function pageResult<T>(url: string, args: string[] = [], timeout = 30_000): Promise<{ result: T; errors: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new', ...args] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout });
    return { result: await page.evaluate(() => (window as unknown as { __result: T }).__result), errors };
  } finally {
    await browser.close();
  }
}

/**
 * Opens url (file: or http:) in headless Chromium and, once loaded, runs `inspect` in the page;
 * returns its result, the page's errors (console errors and uncaught exceptions) and every URL it
 * requested besides itself.
 */
export async function inspectPage<T>(url: string, inspect: () => T): Promise<{ result: T; errors: string[]; requests: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [], requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    await page.goto(url, { waitUntil: 'load' });
    return { result: await page.evaluate(inspect), errors, requests };
  } finally {
    await browser.close();
  }
}
