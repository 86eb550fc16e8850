import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// SvelteKit 3 reads its configuration from the plugin options (there is no svelte.config.js).
// `paths.origin` is left unset: adapter-node derives the origin from the Host header, so the
// same build serves http://localhost:3000 and http://127.0.0.1:3000 with working CSRF checks.
export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ precompress: true }),
      compilerOptions: { runes: true },
    }),
  ],
  server: { port: Number(process.env.WEB_PORT ?? 3000) },
});
