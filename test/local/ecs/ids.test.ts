import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random } from '../../../src/local/ecs/ids.js';

/** Random.hex as it was first written (toString(16) and padStart per draw), as the reference for its digits. */
function referenceHex(random: Random, length: number): string {
  let out = '';
  while (out.length < length) out += ((random.next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

describe('seeded ids', () => {
  it('hex writes the digits and draws of the number-formatting way, for every length used', () => {
    for (const seed of [0, 1, 7, 42, 0xffffffff, 123456789]) {
      const a = new Random(seed);
      const b = new Random(seed);
      for (let i = 0; i < 3000; i++) {
        const length = [32, 16, 64, 1, 7, 8, 9, 33][i % 8]!;
        assert.equal(a.hex(length), referenceHex(b, length), `seed ${seed}, call ${i}`);
      }
      // the two streams are still in step
      assert.equal(a.next(), b.next());
    }
  });

  it('uuid and ec2InstanceId keep their shapes', () => {
    const random = new Random(9);
    for (let i = 0; i < 500; i++) {
      assert.match(random.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(random.ec2InstanceId(), /^i-0[0-9a-f]{16}$/);
    }
  });
});
