import test from 'ava';
import fc from 'fast-check';
import { emptyPool, heldBy, holderOf, release, reserve, resourceId, resourceNode, type ResourcePool } from '../../actors/server/resources.ts';

test('reserve is all-or-nothing; release frees only the session', (t) => {
  let pool = emptyPool();
  const r1 = reserve(pool, 's1', ['detector:David/0', 'detector:David/1', 'source:Alice']);
  t.true(r1.ok);
  pool = r1.pool;
  const r2 = reserve(pool, 's2', ['source:Bob', 'detector:David/1']);
  t.false(r2.ok);
  if (!r2.ok) t.deepEqual(r2.conflicts, [{ resource: 'detector:David/1', heldBy: 's1' }]);
  t.is(holderOf(r2.pool, 'source:Bob'), undefined, 'the free part was not taken');
  t.true(reserve(pool, 's1', ['source:Alice']).ok, 're-reserving what the session holds is idempotent');
  pool = release(pool, 's1');
  t.deepEqual(heldBy(pool, 's1'), []);
  t.true(reserve(pool, 's2', ['source:Bob', 'detector:David/1']).ok);
});

test('resource ids name their node', (t) => {
  t.is(resourceNode(resourceId.detector('David', 3)), 'David');
  t.is(resourceNode(resourceId.source('Alice')), 'Alice');
  t.is(resourceNode(resourceId.serverConverter('conv0')), undefined);
  t.is(resourceNode(resourceId.port(4)), undefined);
});

test('property: under any sequence of reserve/release no resource ever has two holders, and reserve takes all or none', (t) => {
  const res = Array.from({ length: 8 }, (_, i) => `detector:N/${i}`);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('reserve' as const), s: fc.integer({ min: 0, max: 4 }), rs: fc.subarray(res, { minLength: 1 }) }),
    fc.record({ kind: fc.constant('release' as const), s: fc.integer({ min: 0, max: 4 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      let pool: ResourcePool = emptyPool();
      // Independent model: a plain map, updated by the rules stated in the brief.
      const model = new Map<string, string>();
      for (const o of ops) {
        const s = `s${o.s}`;
        if (o.kind === 'release') {
          pool = release(pool, s);
          for (const [r, h] of [...model]) if (h === s) model.delete(r);
        } else {
          const free = o.rs.every((r) => !model.has(r) || model.get(r) === s);
          const out = reserve(pool, s, o.rs);
          if (out.ok !== free) return false;
          pool = out.pool;
          if (free) o.rs.forEach((r) => model.set(r, s));
        }
        if (JSON.stringify(Object.entries(pool.holders).sort()) !== JSON.stringify([...model].sort())) return false;
      }
      return true;
    }),
    { seed: 42, numRuns: 300 },
  );
  t.pass();
});
