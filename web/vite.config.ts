import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

/**
 * SvelteKit 3 reads its configuration from the plugin options (there is no svelte.config.js).
 *
 * The public origin is fixed at build time (`ORIGIN`, as `npm run up` sets it and rebuilds when
 * it changes): adapter-node 6 no longer reads ORIGIN at run time and would otherwise assume
 * https, which fails the CSRF check of every form on a plain-http deployment. Without ORIGIN
 * the default is where `npm run up` serves the app. The loopback twin of a local origin
 * (localhost ⇄ 127.0.0.1) is trusted too, so both URLs a developer may type work.
 */
const webPort = process.env.WEB_PORT ?? '3000';
const origin = (process.env.ORIGIN || `http://localhost:${webPort}`).replace(/\/+$/, '');
const twin = (o: string): string[] => {
  const u = new URL(o);
  if (u.hostname === 'localhost') return [o.replace('//localhost', '//127.0.0.1')];
  if (u.hostname === '127.0.0.1') return [o.replace('//127.0.0.1', '//localhost')];
  return [];
};

export default defineConfig({
  plugins: [
    sveltekit({
      // Browser tests build their own copy (their own origin) beside a running `npm run up`.
      adapter: adapter({ precompress: true, out: process.env.WEB_BUILD_DIR || 'build' }),
      outDir: process.env.WEB_KIT_DIR || '.svelte-kit',
      compilerOptions: { runes: true },
      paths: { origin },
      csrf: { trustedOrigins: twin(origin) },
      // Only our own scripts run (SvelteKit's inline bootstrap gets a nonce); styles may be
      // inline (Svelte's style: directives); nothing may frame the app or post elsewhere.
      csp: {
        mode: 'auto',
        directives: {
          'default-src': ['self'],
          'script-src': ['self'],
          'style-src': ['self', 'unsafe-inline'],
          'img-src': ['self', 'data:'],
          'connect-src': ['self'],
          'font-src': ['self'],
          'object-src': ['none'],
          'base-uri': ['self'],
          'form-action': ['self'],
          'frame-ancestors': ['none'],
        },
      },
    }),
  ],
  server: { port: Number(webPort) },
});
