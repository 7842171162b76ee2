'use strict';
// rtcprobe web lab: a STAND-IN for LiveKit's signalling HTTP surface.
//
// LiveKit server has no Debian package and no npm server package, and the lab
// downloads no binaries, so this reproduces the responses livekit-server
// documents and sends for the requests rtcprobe makes (pkg/service/auth.go and
// rtcservice.go upstream). It does no media, no rooms, no signalling protocol:
// the tokens, though, are checked for real with TokenVerifier from the official
// livekit-server-sdk, so a wrongly signed or expired token fails here exactly
// when it would fail there.
//
// Usage: node livekit-standin.js PORT   (or LAB_LIVEKIT_STANDIN_PORT=PORT)
// Env:
//   LAB_LIVEKIT_KEY           the API key (the JWT "iss")
//   LAB_LIVEKIT_SECRET_FILE   file holding the API secret (never on argv)
//   LAB_LIVEKIT_HOST          127.0.0.1 (default) or ::1; nothing else
//
// Responses, as livekit-server gives them:
//   GET /                 200 text/plain "OK"
//   GET /rtc/validate     Access-Control-Allow-Origin: * always;
//                         token from "Authorization: Bearer T" or ?access_token=T
//                         no token                 401 "no permissions to access the room"
//                         Authorization not Bearer 401 "invalid authorization header. Must start with Bearer "
//                         not a JWT                401 "invalid authorization token"
//                         unknown key (iss)        401 "invalid API key: <iss>"
//                         bad signature / expired  401 "invalid token: <token>, error: <why>"
//                         no roomJoin grant        401 "permissions denied"
//                         empty identity           400 "participant identity cannot be empty"
//                         valid                    200 "success"
//   GET /rtc (no upgrade) 404
//   /rtc websocket upgrade: the same validation; a failure is answered with a
//                         plain HTTP response (401/400) instead of 101; a valid
//                         token is upgraded (RFC 6455, via ws), the server then
//                         only answers pings and closes on request.

const fs = require('node:fs');
const http = require('node:http');
const { TokenVerifier } = require('livekit-server-sdk');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || process.env.LAB_LIVEKIT_STANDIN_PORT);
const host = process.env.LAB_LIVEKIT_HOST || '127.0.0.1';
const apiKey = process.env.LAB_LIVEKIT_KEY || '';
const secretFile = process.env.LAB_LIVEKIT_SECRET_FILE || '';

function die(msg) {
  console.error(`livekit-standin.js: ${msg}`);
  process.exit(2);
}
if (!Number.isInteger(port) || port <= 0 || port > 65535) die('give the port as argument or LAB_LIVEKIT_STANDIN_PORT');
if (host !== '127.0.0.1' && host !== '::1') die(`refusing to listen on ${host}: loopback only`);
if (!apiKey || !secretFile) die('LAB_LIVEKIT_KEY and LAB_LIVEKIT_SECRET_FILE are required');
let apiSecret;
try {
  apiSecret = fs.readFileSync(secretFile, 'utf8').trim();
} catch (e) {
  die(`cannot read LAB_LIVEKIT_SECRET_FILE: ${e.message}`);
}
if (!apiSecret) die('the secret file is empty');

const verifier = new TokenVerifier(apiKey, apiSecret);

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The "iss" of a JWT without verifying it, or null when it is not a JWT.
function jwtIssuer(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null ? String(payload.iss ?? '') : null;
  } catch {
    return null;
  }
}

// LiveKit's APIKeyAuthMiddleware followed by RTCService.validateInternal.
async function validate(req) {
  const url = new URL(req.url, 'http://lab.invalid');
  const authz = req.headers.authorization;
  let token = '';
  if (authz !== undefined && authz !== '') {
    if (!authz.startsWith('Bearer ')) {
      throw new HttpError(401, 'invalid authorization header. Must start with Bearer ');
    }
    token = authz.slice('Bearer '.length);
  } else {
    token = url.searchParams.get('access_token') || '';
  }
  let claims = null;
  if (token) {
    const iss = jwtIssuer(token);
    if (iss === null) throw new HttpError(401, 'invalid authorization token');
    if (iss !== apiKey) throw new HttpError(401, `invalid API key: ${iss}`);
    try {
      claims = await verifier.verify(token);
    } catch (e) {
      throw new HttpError(401, `invalid token: ${token}, error: ${e.message}`);
    }
  }
  if (!claims || !claims.video) throw new HttpError(401, 'no permissions to access the room');
  if (!claims.video.roomJoin) throw new HttpError(401, 'permissions denied');
  if (!claims.sub) throw new HttpError(400, 'participant identity cannot be empty');
  return claims;
}

function sendText(res, status, text, headers = {}) {
  const buf = Buffer.from(text);
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': buf.length,
    ...headers,
  });
  res.end(buf);
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://lab.invalid').pathname;
  if (path === '/') return sendText(res, 200, 'OK');
  if (path === '/rtc/validate') {
    const cors = { 'Access-Control-Allow-Origin': '*' };
    validate(req).then(
      () => sendText(res, 200, 'success', cors),
      (e) => sendText(res, e.status || 500, e.message, cors));
    return;
  }
  if (path === '/rtc') {
    res.writeHead(404, { 'Content-Length': 0 });
    return res.end();
  }
  return sendText(res, 404, '404 page not found\n');
});

const wss = new WebSocketServer({ noServer: true });

// Answer a refused upgrade with a plain HTTP response, as LiveKit does when it
// rejects before upgrading.
function refuseUpgrade(socket, status, message) {
  const body = Buffer.from(message);
  const head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Error'}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${body.length}\r\n` +
    'Connection: close\r\n\r\n';
  socket.end(Buffer.concat([Buffer.from(head), body]));
}

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  const path = new URL(req.url, 'http://lab.invalid').pathname;
  if (path !== '/rtc') return refuseUpgrade(socket, 404, '404 page not found\n');
  validate(req).then(
    () => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    (e) => refuseUpgrade(socket, e.status || 500, e.message));
});

wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
});

server.listen(port, host, () => {
  console.log(`livekit-standin.js: listening on ${host}:${port} (key ${apiKey})`);
});

function stop() {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
