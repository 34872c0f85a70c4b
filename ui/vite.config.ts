import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The web app: built into ui/dist, which hearthd serves under a strict CSP (no inline scripts).
export default defineConfig({
  root: here('.'),
  base: '/',
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Every browser that runs this app supports modulepreload; skip the polyfill's bytes.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    // The UI imports the naming rules from appliance/src, outside this root.
    fs: { allow: [here('..')] },
    // `npx vite ui` against a running `make run` daemon.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
