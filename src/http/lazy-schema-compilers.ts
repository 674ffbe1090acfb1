// Fastify requires its JSON-schema compilers (Ajv with its formats, fast-json-stringify: ≈1.5 MB
// of heap) when an app is created, unless it is given their factories. No route of ours declares a
// schema (routes check the fields they read, STYLE.md principle 4), so these factories load the
// same compilers, from Fastify's own dependencies, the first time a route with a schema asks.
// One difference: with a factory of its own, Fastify leaves a `headers` schema's keys as written
// instead of lower-casing them, so such a schema must name headers in lower case.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type Factories = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
/** What both of Fastify's compiler packages export: a function making a pool of compilers. */
type CompilerPool = (externalSchemas: unknown, options: unknown) => unknown;

const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const pools = new Map<string, CompilerPool>();

/** A factory that loads `pkg` (one of Fastify's own dependencies) the first time it is called. */
function loadedOnFirstUse(pkg: string): CompilerPool {
  return (externalSchemas, options) => {
    let pool = pools.get(pkg);
    if (!pool) {
      pool = (requireFromFastify(pkg) as () => CompilerPool)();
      pools.set(pkg, pool);
    }
    return pool(externalSchemas, options);
  };
}

/** Fastify's default compiler factories, each loaded on first use. */
export const lazySchemaCompilers = {
  buildValidator: loadedOnFirstUse('@fastify/ajv-compiler'),
  buildSerializer: loadedOnFirstUse('@fastify/fast-json-stringify-compiler'),
} as Factories;
