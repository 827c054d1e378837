/**
 * The URL of a file a handler loads only when it first needs it, built beside its bundle as `<name>.mjs`
 * (lib/bridge-function.ts, `lazyEntries`), or, where the handler runs from source (`npm start`, the tests),
 * the `<name>.ts` beside it. Computed, so that esbuild leaves the import to run time instead of bundling it.
 */
export function lazyModuleUrl(name: string, importerUrl: string): string {
  const extension = importerUrl.endsWith('.ts') ? '.ts' : '.mjs';
  return new URL(`./${name}${extension}`, importerUrl).href;
}
