import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { countMediaSections, publishMediaSectionsOption } from './publish-limits.ts';

test('countMediaSections counts m= at line starts (CRLF or LF) and stops one past the limit', () => {
  const sdp =
    'v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 x 111\r\na=m=not\r\nm=video 9 x 96\nm=application 9 x\r\n';
  assert.equal(countMediaSections(sdp, 32), 3);
  assert.equal(countMediaSections(sdp, 1), 2, 'stops at limit + 1');
  assert.equal(countMediaSections('m=audio 9 x 0', 32), 1);
  assert.equal(countMediaSections('v=0\r\n', 32), 0);
  const huge = `v=0\r\n${'m=audio 9 x 111\r\n'.repeat(100_000)}`;
  assert.equal(countMediaSections(huge, 32), 33);
});

test('maxPublishMediaSections: default 32, 1–256, integers only (sfu_bad_parameters)', () => {
  assert.equal(publishMediaSectionsOption(undefined), 32);
  assert.equal(publishMediaSectionsOption(1), 1);
  assert.equal(publishMediaSectionsOption(256), 256);
  for (const bad of [0, 257, 2.5, Number.NaN]) {
    assert.throws(
      () => publishMediaSectionsOption(bad),
      (err: unknown) => isItdaError(err, 'sfu_bad_parameters'),
    );
  }
});
