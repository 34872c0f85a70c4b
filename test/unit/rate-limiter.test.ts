import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureRateLimiter } from '../../appliance/src/auth/rate-limiter.js';

test('five failures a minute, then a wait until the oldest leaves the window', () => {
  let now = 1_000_000;
  const rl = new FailureRateLimiter(5, 60_000, () => now);
  for (let i = 0; i < 5; i++) {
    assert.equal(rl.retryAfterMs('a'), 0);
    rl.recordFailure('a');
    now += 1000;
  }
  assert.equal(rl.retryAfterMs('a'), 55_000);
  assert.equal(rl.retryAfterMs('b'), 0, 'per client');
  now += 55_000;
  assert.equal(rl.retryAfterMs('a'), 0);
  rl.recordFailure('a');
  rl.reset('a');
  assert.equal(rl.retryAfterMs('a'), 0);
});
