import assert from 'node:assert/strict';
import { ApiKeyRing, bearerToken, presentedApiKey } from '../../src/auth/api-keys';

const UT = 'ut10-secret-0123456789';
const B24 = 'b24-secret-abcdefghijk';
const B24_OLD = 'b24-old-secret-zyxwvuts';

describe('integration API keys', () => {
  it('parses named keys and matches the presented secret to its name', () => {
    const ring = ApiKeyRing.parse(`ut10:${UT}, B24:${B24};b24:${B24_OLD}\n`);
    assert.equal(ring.size, 3);
    assert.deepEqual(ring.names, ['ut10', 'b24']);
    assert.equal(ring.match(UT), 'ut10');
    assert.equal(ring.match(B24), 'b24');
    assert.equal(ring.match(B24_OLD), 'b24', 'two secrets of one name during a rotation');
    assert.equal(ring.match(`${UT}x`), undefined);
    assert.equal(ring.match(UT.slice(0, -1)), undefined);
    assert.equal(ring.match(''), undefined);
    assert.equal(ring.match(undefined), undefined);
    assert.equal(ring.match('x'.repeat(5000)), undefined);
  });

  it('an empty or missing variable means no keys (every caller refused)', () => {
    assert.equal(ApiKeyRing.parse(undefined).size, 0);
    assert.equal(ApiKeyRing.parse('  ').match(UT), undefined);
  });

  it('refuses bad entries without echoing the secret', () => {
    for (const [spec, pattern] of [
      [UT, /#1: expected "name:secret"/],
      [`ut10:short`, /#1 \(ut10\): the secret must be at least 16/],
      [`ut10:${UT},b24:${UT}`, /#2 \(b24\): the same secret/],
      [`Bad Name:${UT}`, /#1: expected/],
      [`ut10:${UT} more`, /must not contain spaces/],
    ] as const) {
      assert.throws(() => ApiKeyRing.parse(spec), (e: unknown) => e instanceof RangeError && pattern.test(e.message) && !e.message.includes(UT));
    }
  });

  it('reads X-Api-Key first, then a bearer token', () => {
    assert.equal(presentedApiKey({ 'x-api-key': ` ${UT} ` }), UT);
    assert.equal(presentedApiKey({ 'x-api-key': [UT, 'other'] }), UT);
    assert.equal(presentedApiKey({ authorization: `Bearer ${UT}` }), UT);
    assert.equal(presentedApiKey({ 'x-api-key': B24, authorization: `Bearer ${UT}` }), B24);
    assert.equal(bearerToken({ authorization: `bearer   ${UT}` }), UT);
    assert.equal(bearerToken({ authorization: `Basic ${UT}` }), undefined);
    assert.equal(bearerToken({ authorization: 'Bearer a b' }), undefined);
    assert.equal(bearerToken({}), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
