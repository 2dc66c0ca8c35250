import { DrkitError } from '@drkit/spec';
import type { PointManifest } from '../store/point-manifest.js';

/**
 * The point a recovery uses, as Site Recovery lets one choose it: `latest`, `latest-app` (the
 * newest whose group achieved app consistency), an id or a unique prefix of ≥ 4 characters,
 * or an ISO time (the newest point made at or before it). `points` oldest first.
 */
export function choosePoint(points: readonly PointManifest[], spec = 'latest'): PointManifest {
  if (points.length === 0) throw new DrkitError('not-found', 'the store holds no recovery point');
  if (spec === 'latest') return points.at(-1)!;
  if (spec === 'latest-app') {
    const app = points.filter((p) => p.consistency.achieved === 'app').at(-1);
    if (!app) throw new DrkitError('not-found', 'no point of the store is app-consistent');
    return app;
  }
  if (/^\d{4}-\d\d-\d\d(T[\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(spec)) {
    const at = Date.parse(spec);
    if (Number.isNaN(at)) throw new DrkitError('bad-input', `--point ${spec}: not a time`);
    const before = points.filter((p) => Date.parse(p.createdAt) <= at).at(-1);
    if (!before) throw new DrkitError('not-found', `no point was made at or before ${spec}`);
    return before;
  }
  const exact = points.find((p) => p.id === spec);
  if (exact) return exact;
  const matches = spec.length >= 4 ? points.filter((p) => p.id.startsWith(spec)) : [];
  if (matches.length > 1) throw new DrkitError('bad-input', `point id prefix ${spec} is ambiguous`);
  if (!matches[0]) throw new DrkitError('not-found', `no recovery point ${spec}`);
  return matches[0];
}
