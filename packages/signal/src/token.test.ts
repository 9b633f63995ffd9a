import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ErrorCode } from '@itda/protocol';
import { SignalError } from './errors.ts';
import { createTokenVerifier, signRoomToken } from './token.ts';

const NOW = 1_700_000_000_000;
const now = () => NOW;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SignalError, String(err));
    return err.code;
  }
  assert.fail('expected an error');
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function forge(header: unknown, claims: unknown, secret: string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

test('a signed token verifies and carries identity, room, name and grants', () => {
  const token = signRoomToken('s3cret', {
    room: 'r1',
    identity: 'ada',
    name: 'Ada',
    grants: { canPublish: false },
    now,
  });
  const claims = createTokenVerifier({ secrets: ['s3cret'], now })(token);
  assert.equal(claims.identity, 'ada');
  assert.equal(claims.room, 'r1');
  assert.equal(claims.name, 'Ada');
  assert.deepEqual(claims.grants, { canPublish: false, canSubscribe: true, canRename: false });
  assert.equal(claims.expiresAt, NOW / 1000 + 3600);
});

test('expired and not-yet-valid tokens are token_expired', () => {
  const token = signRoomToken('k', { room: 'r', identity: 'a', ttlSeconds: 60, now });
  assert.equal(
    codeOf(() => createTokenVerifier({ secrets: ['k'], now: () => NOW + 61_000 })(token)),
    ErrorCode.TokenExpired,
  );
  assert.ok(createTokenVerifier({ secrets: ['k'], now: () => NOW + 59_000 })(token));
  const later = signRoomToken('k', { room: 'r', identity: 'a', notBeforeSeconds: 30, now });
  assert.equal(
    codeOf(() => createTokenVerifier({ secrets: ['k'], now })(later)),
    ErrorCode.TokenExpired,
  );
  assert.ok(createTokenVerifier({ secrets: ['k'], now: () => NOW + 30_000 })(later));
});

test('bad signatures, alg none, other algorithms and malformed tokens are invalid_token', () => {
  const verify = createTokenVerifier({ secrets: ['k'], now });
  const good = signRoomToken('k', { room: 'r', identity: 'a', now });
  const claims = { sub: 'a', room: 'r', iat: NOW / 1000, exp: NOW / 1000 + 60 };
  assert.equal(
    codeOf(() => verify(signRoomToken('other', { room: 'r', identity: 'a', now }))),
    ErrorCode.InvalidToken,
  );
  assert.equal(
    codeOf(() => verify(`${good.slice(0, -2)}AA`)),
    ErrorCode.InvalidToken,
  );
  assert.equal(
    codeOf(() => verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`)),
    ErrorCode.InvalidToken,
  );
  assert.equal(
    codeOf(() => verify(forge({ alg: 'HS512', typ: 'JWT' }, claims, 'k'))),
    ErrorCode.InvalidToken,
  );
  assert.equal(
    codeOf(() => verify(forge({ alg: 'HS256' }, { ...claims, exp: undefined }, 'k'))),
    ErrorCode.InvalidToken,
  );
  assert.equal(
    codeOf(() => verify(forge({ alg: 'HS256' }, { ...claims, room: 'a b' }, 'k'))),
    ErrorCode.InvalidToken,
  );
  assert.equal(
    codeOf(() => verify(forge({ alg: 'HS256' }, { ...claims, grants: { canPublish: 'yes' } }, 'k'))),
    ErrorCode.InvalidToken,
  );
  assert.ok(verify(forge({ alg: 'HS256' }, claims, 'k')), 'typ is optional');
  for (const junk of ['', 'a.b', 'a.b.c.d', '!!.!!.!!', 'x'.repeat(9000)]) {
    assert.equal(
      codeOf(() => verify(junk)),
      ErrorCode.InvalidToken,
      junk.slice(0, 20),
    );
  }
});

test('rotation: verify with any configured secret, sign with the first', () => {
  const oldToken = signRoomToken('old', { room: 'r', identity: 'a', now });
  const verify = createTokenVerifier({ secrets: ['new', 'old'], now });
  assert.equal(verify(oldToken).identity, 'a');
  assert.equal(
    codeOf(() => createTokenVerifier({ secrets: ['new'], now })(oldToken)),
    ErrorCode.InvalidToken,
  );
  assert.equal(
    codeOf(() => createTokenVerifier({ secrets: [] })),
    'invalid_config',
  );
});

test('a crit header is refused: this verifier understands no extension (RFC 7515 §4.1.11)', () => {
  const verify = createTokenVerifier({ secrets: ['k'], now });
  const claims = { sub: 'a', room: 'r', iat: NOW / 1000, exp: NOW / 1000 + 60 };
  assert.ok(verify(forge({ alg: 'HS256', typ: 'JWT' }, claims, 'k')));
  for (const crit of [['exp'], ['b64'], ['http://example.com/ext'], [], 'exp', null]) {
    const token = forge({ alg: 'HS256', typ: 'JWT', crit, b64: true, exp: 1 }, claims, 'k');
    assert.equal(
      codeOf(() => verify(token)),
      ErrorCode.InvalidToken,
      JSON.stringify(crit),
    );
  }
});

test('a token name follows the display-name rule; a token name is not renamable unless granted', () => {
  const verify = createTokenVerifier({ secrets: ['k'], now });
  const claims = { sub: 'a', room: 'r', iat: NOW / 1000, exp: NOW / 1000 + 60 };
  for (const name of ['    ', '\u200b\u200b', 'x'.repeat(65), 'CEO\u0000', 7, '']) {
    assert.equal(
      codeOf(() => verify(forge({ alg: 'HS256' }, { ...claims, name }, 'k'))),
      ErrorCode.InvalidToken,
      JSON.stringify(name),
    );
  }
  assert.equal(verify(forge({ alg: 'HS256' }, { ...claims, name: '  Ada ' }, 'k')).name, 'Ada');
  const grantsOf = (extra: Record<string, unknown>) =>
    verify(forge({ alg: 'HS256' }, { ...claims, ...extra }, 'k')).grants;
  assert.equal(grantsOf({}).canRename, true, 'no name in the token: the joiner names itself');
  assert.equal(grantsOf({ name: 'Ada' }).canRename, false, 'the token names it: authoritative');
  assert.equal(grantsOf({ name: 'Ada', grants: { canRename: true } }).canRename, true);
  assert.equal(grantsOf({ grants: { canRename: false } }).canRename, false);
  assert.equal(
    codeOf(() => grantsOf({ grants: { canRename: 'yes' } })),
    ErrorCode.InvalidToken,
  );
  const signed = (options: Partial<Parameters<typeof signRoomToken>[1]>) =>
    verify(signRoomToken('k', { room: 'r', identity: 'a', now, ...options }));
  assert.equal(signed({ name: 'Ada' }).grants.canRename, false);
  assert.equal(signed({ name: 'Ada', grants: { canRename: true } }).grants.canRename, true);
  assert.equal(signed({}).grants.canRename, true);
  assert.equal(
    codeOf(() => signRoomToken('k', { room: 'r', identity: 'a', name: '    ' })),
    'invalid_config',
  );
});
