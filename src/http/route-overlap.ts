import type { RouteSpec } from './dialect.js';

export interface MountedRoute {
  dialect: string;
  route: RouteSpec;
  /** The full path on its listener (prefix + route path). */
  fullPath: string;
}

/**
 * Two routes of different dialects on one listener that could match the same
 * request (same method, same number of segments, each segment equal or a
 * parameter on either side). Such a config is refused at boot: which API
 * answered would depend on mount order.
 */
export function findCollisions(routes: MountedRoute[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      const a = routes[i]!;
      const b = routes[j]!;
      if (a.dialect === b.dialect || a.route.method !== b.route.method) continue;
      if (overlap(a.fullPath, b.fullPath)) {
        problems.push(`${a.route.method} ${a.fullPath} (${a.dialect}) collides with ${b.route.method} ${b.fullPath} (${b.dialect})`);
      }
    }
  }
  return problems;
}

function overlap(a: string, b: string): boolean {
  const left = a.split('/').filter(Boolean);
  const right = b.split('/').filter(Boolean);
  if (left.length !== right.length) return false;
  return left.every((segment, i) => segment === right[i] || segment.startsWith(':') || right[i]!.startsWith(':'));
}
