// tests/fakes/s3/server.js: a real S3-compatible server on loopback for
// tests/integration/test_s3_upload.sh. Storage and the S3 REST API are
// s3rver's; s3rver only checks SigV2 signatures and takes any SigV4 one, so a
// middleware in front re-signs every SigV4 request with AWS's own signer
// (@smithy/signature-v4, what the AWS SDK for JavaScript uses) and answers
// S3's SignatureDoesNotMatch / InvalidAccessKeyId / RequestTimeTooSkewed
// errors, as S3 would. Requests without an Authorization header stay
// anonymous (s3rver's default).
// usage: node server.js DIR BUCKET  (listens on 127.0.0.1, a free port,
// printed alone on stdout once the bucket exists). Keys: S3RVER / S3RVER.
'use strict';

const querystring = require('querystring');
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

const SECRETS = { S3RVER: 'S3RVER' };
const MAX_SKEW_MS = 15 * 60 * 1000;

async function verifySigV4(ctx, next) {
  const auth = ctx.get('authorization');
  if (!auth.startsWith('AWS4-HMAC-SHA256 ')) return next();
  const m =
    /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) {
    throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  }
  const [, accessKeyId, day, region, service, signedHeaders, signature] = m;
  const secretAccessKey = SECRETS[accessKeyId];
  if (!secretAccessKey) {
    throw new S3Error(
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: accessKeyId },
    );
  }
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(ctx.get('x-amz-date'));
  const at = d && new Date(Date.UTC(+d[1], d[2] - 1, +d[3], +d[4], +d[5], +d[6]));
  if (!at || ctx.get('x-amz-date').slice(0, 8) !== day) {
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  if (Math.abs(Date.now() - at.getTime()) > MAX_SKEW_MS) {
    throw new S3Error(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  const names = signedHeaders.split(';');
  const headers = {};
  for (const n of names) headers[n] = ctx.req.headers[n] || '';
  const [path, rawQuery = ''] = ctx.req.url.split('?');
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId, secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false, // S3: the path is signed as sent, encoded once
    applyChecksum: false, // sign the headers the client signed, no more
  });
  const signed = await signer.sign(
    {
      method: ctx.method,
      protocol: 'http:',
      hostname: headers.host || ctx.host,
      path,
      query: querystring.parse(rawQuery),
      headers,
    },
    { signingDate: at, signableHeaders: new Set(names) },
  );
  const want = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  if (want !== signature) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your key and signing method.',
      { AWSAccessKeyId: accessKeyId },
    );
  }
  return next();
}

async function main() {
  const [dir, bucket] = process.argv.slice(2);
  if (!dir || !bucket) {
    process.stderr.write('usage: node server.js DIR BUCKET\n');
    process.exit(2);
  }
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    vhostBuckets: false,
    serviceEndpoint: 'localhost', // virtual-hosted style: <bucket>.s3.localhost
    configureBuckets: [{ name: bucket }],
  });
  // before s3rver's own middleware (its logger stays first so errors are rendered as XML)
  server.middleware.splice(1, 0, verifySigV4);
  const { port } = await server.run();
  process.stdout.write(`${port}\n`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`fake s3: ${err.stack || err}\n`);
  process.exit(1);
});
