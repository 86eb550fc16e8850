// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    interface Locals {
      /** The signed-in agent (the gateway vouched for the session cookie, hooks.server.ts), or null. */
      agent: { id: string; email: string; name: string } | null;
      /** The gateway token of the signed-in agent, for writes and the live stream. */
      token: string | null;
    }
    interface Error {
      /** A reference for an unexpected error, also printed in the server log. */
      id?: string;
    }
  }
}

export {};
