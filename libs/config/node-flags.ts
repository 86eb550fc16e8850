/**
 * Node flags every service process starts with (`npm run up`, the tests' and benchmarks'
 * processes; the image sets the same in NODE_OPTIONS, see Dockerfile).
 *
 * `--max-semi-space-size=16` (MiB): V8 sizes the young generation from the heap limit,
 * which it derives from the machine's memory; on a 24 GiB machine that let each semi-space
 * grow far enough that the scheduler's resident memory reached ~340 MB under the write
 * benchmark while its live heap was ~25 MB (garbage that survives between scavenges).
 * Capped at 16 MiB it peaked at ~170 MB, and no slower (bench:write, same run).
 * No imports: `npm run up` reads this before dependencies are installed.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
