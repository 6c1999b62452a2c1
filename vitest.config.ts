import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports": without this alias vitest may load two copies of it
    // ("Cannot use GraphQLScalarType from another module or realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['src/**/*.test.ts', 'agent/**/*.test.ts', 'cni/**/*.test.ts', 'test/**/*.test.ts', 'protocol/**/*.test.ts', 'console/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // As root the namespace suites run (wireguard-go, real agents, timing-sensitive pings): on a
    // 2-core machine they run one file at a time, so a suite never starves another into a flake.
    fileParallelism: !(process.getuid?.() === 0 || process.env.WEFT_SERIAL_TESTS === '1'),
  },
});
