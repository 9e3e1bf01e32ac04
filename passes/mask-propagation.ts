// mask-propagation: an analysis. For every tensor with a channel axis it records, per channel,
// zero / constant / live (forward) and used / dead (backward), as `analysis.channels` attributes.
import { analyzeChannels, annotateChannels } from '../src/analysis/channels.js';
import { definePass } from '../src/pass/define.js';

export default definePass({
  name: 'mask-propagation',
  summary: 'Computes per-channel facts (zero / constant / live, used / dead) and records them on the ops.',
  description:
    "A channel is a slice along axis 1. Facts flow forward through each op's transfer function (the mask entry of its op table) and use flows backward from the returned values. Each result gets analysis.channels = \"...\": one token per channel, run-length encoded (L*3): L live, Z zero, C<v> constant v; upper case when the channel is used, lower case when it is dead. The IR is otherwise unchanged; channel-elimination acts on the same facts.",
  run(module, ctx) {
    for (const f of module.funcs) {
      const info = analyzeChannels(f);
      ctx.stat('results annotated', annotateChannels(f, info));
      let zero = 0, konst = 0, dead = 0;
      for (const ci of info.values()) {
        ci.facts.forEach((x, i) => {
          if (x.k === 'Z') zero++;
          if (x.k === 'C') konst++;
          if (!ci.used[i]) dead++;
        });
      }
      if (zero) ctx.stat('zero channels', zero);
      if (konst) ctx.stat('constant channels', konst);
      if (dead) ctx.stat('dead channels', dead);
    }
  },
});
