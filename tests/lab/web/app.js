'use strict';
// rtcprobe web lab: the "API + Socket.IO" half of a deployment, for the
// `http` and `ws` checks. A real Socket.IO server (npm socket.io, Engine.IO
// v4) and a few plain HTTP routes, listening on loopback only.
//
// Usage: node app.js PORT            (or LAB_APP_PORT=PORT node app.js)
// Env:
//   LAB_APP_HOST            listen address, 127.0.0.1 (default) or ::1; anything
//                           else is refused: the lab never listens elsewhere
//   LAB_SIO_PING_INTERVAL   Engine.IO pingInterval in ms (default 25000)
//   LAB_SIO_PING_TIMEOUT    Engine.IO pingTimeout in ms (default 20000)
//   LAB_CORS_ORIGIN         the one Origin allowed by CORS on /health*
//                           (e.g. https://app.lab.test); unset: no CORS headers
//
// Routes (HEAD works wherever GET does):
//   /socket.io/             Socket.IO; namespace "/" accepts everyone and
//                           answers the "echo" event through its ack; "/private"
//                           refuses in its middleware, so a CONNECT gets
//                           44/private,{"message":"unauthorized: lab private namespace"}
//   /health                 200 application/json {"status":"ok"}
//   /health/degraded        200 application/json {"status":"degraded"}
//   /health/text            200 text/plain "OK"
//   /health/500             500 application/json {"status":"error"}
//   /api/v1/files/<hash>    302 Location: /cdn/<hash>  (the CDN hop)
//   /cdn/<hash>             200 image/png (1x1), Content-Length,
//                           Cache-Control: public, max-age=31536000, immutable
//   /slow?ms=N              200 {"status":"ok"} after N ms (N <= 60000)
//   /cors/reflect/<route>   <route>, but CORS reflects any Origin with
//                           credentials (a misconfiguration)
//   /cors/star/<route>      <route>, with ACAO "*" plus credentials (invalid)
// CORS on /health*: only LAB_CORS_ORIGIN gets Access-Control-Allow-Origin
// (with Allow-Credentials: true and Vary: Origin); OPTIONS preflights get 204.

const http = require('node:http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || process.env.LAB_APP_PORT);
const host = process.env.LAB_APP_HOST || '127.0.0.1';
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('app.js: give the port as the first argument or LAB_APP_PORT');
  process.exit(2);
}
if (host !== '127.0.0.1' && host !== '::1') {
  console.error(`app.js: refusing to listen on ${host}: loopback only`);
  process.exit(2);
}

function envMs(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`app.js: ${name} must be a positive integer (ms), not '${v}'`);
    process.exit(2);
  }
  return n;
}
const pingInterval = envMs('LAB_SIO_PING_INTERVAL', 25000);
const pingTimeout = envMs('LAB_SIO_PING_TIMEOUT', 20000);
const corsOrigin = process.env.LAB_CORS_ORIGIN || '';

// A valid 1x1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64');

function send(req, res, status, type, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': buf.length,
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

function json(req, res, status, obj, headers) {
  send(req, res, status, 'application/json', JSON.stringify(obj), headers);
}

// CORS headers for POLICY (strict | reflect | star) and the request's Origin.
function corsHeaders(policy, origin) {
  const h = {};
  if (policy === 'star') {
    h['Access-Control-Allow-Origin'] = '*';
    h['Access-Control-Allow-Credentials'] = 'true';
  } else if (policy === 'reflect') {
    if (origin) {
      h['Access-Control-Allow-Origin'] = origin;
      h['Access-Control-Allow-Credentials'] = 'true';
    }
    h.Vary = 'Origin';
  } else if (policy === 'strict' && corsOrigin) {
    if (origin === corsOrigin) {
      h['Access-Control-Allow-Origin'] = origin;
      h['Access-Control-Allow-Credentials'] = 'true';
    }
    h.Vary = 'Origin';
  }
  return h;
}

function preflight(req, res, cors) {
  const h = { ...cors };
  if (h['Access-Control-Allow-Origin']) {
    h['Access-Control-Allow-Methods'] = 'GET, HEAD, OPTIONS';
    h['Access-Control-Allow-Headers'] =
      req.headers['access-control-request-headers'] || 'Authorization, Content-Type';
    h['Access-Control-Max-Age'] = '600';
  }
  res.writeHead(204, h);
  res.end();
}

function handle(req, res) {
  const url = new URL(req.url, 'http://lab.invalid');
  let path = url.pathname;
  let policy = 'strict';
  const m = /^\/cors\/(reflect|star)(\/.*)$/.exec(path);
  if (m) {
    policy = m[1];
    path = m[2];
  }
  const isHealth = path === '/health' || path.startsWith('/health/');
  const cors = isHealth ? corsHeaders(policy, req.headers.origin) : {};

  if (req.method === 'OPTIONS' && isHealth) return preflight(req, res, cors);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return json(req, res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD, OPTIONS' });
  }

  switch (path) {
    case '/health':
      return json(req, res, 200, { status: 'ok' }, cors);
    case '/health/degraded':
      return json(req, res, 200, { status: 'degraded' }, cors);
    case '/health/text':
      return send(req, res, 200, 'text/plain', 'OK', cors);
    case '/health/500':
      return json(req, res, 500, { status: 'error' }, cors);
    case '/slow': {
      const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 60000);
      const t = setTimeout(() => json(req, res, 200, { status: 'ok', delayed_ms: ms }), ms);
      res.on('close', () => clearTimeout(t));
      return;
    }
    default:
      break;
  }
  let f = /^\/api\/v1\/files\/([A-Za-z0-9_-]{1,128})$/.exec(path);
  if (f) {
    return send(req, res, 302, 'text/plain', `Found: /cdn/${f[1]}`,
      { Location: `/cdn/${f[1]}` });
  }
  f = /^\/cdn\/([A-Za-z0-9_-]{1,128})$/.exec(path);
  if (f) {
    return send(req, res, 200, 'image/png', PNG, {
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: `"${f[1]}"`,
    });
  }
  return json(req, res, 404, { error: 'not found' }, cors);
}

const server = http.createServer(handle);

// Socket.IO takes /socket.io/ and hands every other request to handle().
const io = new Server(server, {
  pingInterval,
  pingTimeout,
  ...(corsOrigin ? { cors: { origin: corsOrigin, credentials: true } } : {}),
});

io.of('/').on('connection', (socket) => {
  socket.on('echo', (data, ack) => {
    if (typeof ack === 'function') ack(data);
  });
});

const priv = io.of('/private');
priv.use((socket, next) => {
  const err = new Error('unauthorized: lab private namespace');
  next(err);
});
priv.on('connection', (socket) => socket.disconnect(true));

server.listen(port, host, () => {
  console.log(`app.js: listening on ${host}:${port} ` +
    `(pingInterval=${pingInterval} pingTimeout=${pingTimeout}` +
    `${corsOrigin ? ` cors=${corsOrigin}` : ''})`);
});

function stop() {
  io.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
