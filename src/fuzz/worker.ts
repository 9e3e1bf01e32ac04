// The fuzz driver's child process: takes case requests over IPC, runs them, answers with the
// verdict, its time and the process's memory. The driver kills it on a time or memory limit.
import { runCase, type CaseRequest } from './run-case.js';

process.on('message', (req: CaseRequest) => {
  void (async () => {
    const t0 = performance.now();
    const result = await runCase(req);
    process.send!({ result, ms: performance.now() - t0, rss: process.memoryUsage().rss });
  })();
});
process.send!({ ready: true });
