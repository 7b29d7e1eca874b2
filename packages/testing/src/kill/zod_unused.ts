// Stands in for zod inside the saving child's bundle: the writer never validates with a schema,
// and zod is most of the child's start-up time (about 0.15 s of CPU per start, ~40 starts per run).
// Module-level schema definitions still evaluate (every call and property gives the stand-in);
// using one to validate throws, so a writer that started to need zod would fail loudly here.
const inert: unknown = new Proxy(function unused() {}, {
  get: (_, prop) => {
    if (prop === 'safeParse' || prop === 'parse') throw new Error('the kill-test child bundles no zod; the save path must not validate with a schema');
    return inert;
  },
  apply: () => inert,
});

export const z = inert;
