/**
 * Jest globalTeardown of the `integration` project: stops the containers global-setup.ts
 * started (none when the services came from the environment or `npm run services:up`).
 * Without it testcontainers' reaper still removes them when the Jest process exits.
 */
import type { StartedTestContainer } from 'testcontainers';
import { CONTAINERS_KEY } from './global-setup';

type GlobalWithContainers = typeof globalThis & { [CONTAINERS_KEY]?: StartedTestContainer[] };

export default async function globalTeardown(): Promise<void> {
  const store = globalThis as GlobalWithContainers;
  const containers = store[CONTAINERS_KEY] ?? [];
  store[CONTAINERS_KEY] = [];
  await Promise.all(containers.map((container) => container.stop()));
}
