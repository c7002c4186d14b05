// Unit tests for the wire codec: frontend parsing from hand-built bytes, chunking, limits, fuzzing,
// and byte-exact backend output (cross-checked against the pg client's own protocol parser).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { ChorusError, ProtocolViolationError } from '../../src/errors.js';
import { wireMessageBytesMax, wireStartupPacketBytesMax } from '../../src/limits.js';
import { seededRandom } from '../../src/testing/random.js';
import { BackendWriter } from '../../src/wire/backend-writer.js';
import {
  errorFieldsFrom,
  type FrontendMessage,
  FrontendReader,
  parseSASLInitialResponse,
  type StartupMessage,
} from '../../src/wire/codec.js';

const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const msg = (type: string, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, 'latin1'), i32(body.length + 4), body]);
};
const packet = (...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([i32(body.length + 4), body]);
};

function readAll(bytes: Buffer): FrontendMessage[] {
  const r = new FrontendReader();
  r.push(bytes);
  const out: FrontendMessage[] = [];
  for (let m = r.next(); m !== null; m = r.next()) out.push(m);
  assert.equal(r.bufferedBytes(), 0);
  return out;
}

function readOne(bytes: Buffer): FrontendMessage {
  const all = readAll(bytes);
  assert.equal(all.length, 1);
  return all[0]!;
}

function violation(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolViolationError, `expected ProtocolViolationError, got ${String(err)}`);
    assert.equal(err.sqlstate, '08P01');
    assert.match(err.message, pattern);
    return true;
  });
}

const bindBytes = msg(
  'B',
  cstr('p1'),
  cstr('s1'),
  i16(3),
  i16(0),
  i16(1),
  i16(0),
  i16(3),
  i32(3),
  Buffer.from('abc'),
  i32(-1),
  i32(0),
  i16(1),
  i16(1),
);

const allMessages: [Buffer, FrontendMessage][] = [
  [msg('Q', cstr('SELECT 1; é')), { type: 'Query', sql: 'SELECT 1; é' }],
  [
    msg('P', cstr('stmt'), cstr('SELECT $1, $2'), i16(2), i32(23), i32(-1)),
    { type: 'Parse', name: 'stmt', query: 'SELECT $1, $2', paramTypes: [23, 0xffffffff] },
  ],
  [
    msg('P', cstr(''), cstr('SELECT 1'), i16(0)),
    { type: 'Parse', name: '', query: 'SELECT 1', paramTypes: [] },
  ],
  [
    bindBytes,
    {
      type: 'Bind',
      portal: 'p1',
      statement: 's1',
      paramFormats: [0, 1, 0],
      params: [Buffer.from('abc'), null, Buffer.alloc(0)],
      resultFormats: [1],
    },
  ],
  [msg('D', Buffer.from('S'), cstr('stmt')), { type: 'Describe', kind: 'S', name: 'stmt' }],
  [msg('D', Buffer.from('P'), cstr('')), { type: 'Describe', kind: 'P', name: '' }],
  [msg('E', cstr('p1'), i32(100)), { type: 'Execute', portal: 'p1', maxRows: 100 }],
  [msg('C', Buffer.from('S'), cstr('stmt')), { type: 'Close', kind: 'S', name: 'stmt' }],
  [msg('C', Buffer.from('P'), cstr('p')), { type: 'Close', kind: 'P', name: 'p' }],
  [msg('S'), { type: 'Sync' }],
  [msg('H'), { type: 'Flush' }],
  [msg('X'), { type: 'Terminate' }],
  [msg('p', cstr('secret')), { type: 'Password', body: cstr('secret') }],
  [msg('d', Buffer.from('1\tx\n')), { type: 'CopyData', data: Buffer.from('1\tx\n') }],
  [msg('c'), { type: 'CopyDone' }],
  [msg('f', cstr('client gave up')), { type: 'CopyFail', message: 'client gave up' }],
  [msg('F', i32(1234), i16(0)), { type: 'FunctionCall' }],
];

test('every frontend message parses from hand-built bytes', () => {
  for (const [bytes, expected] of allMessages) assert.deepEqual(readOne(bytes), expected);
});

test('a stream of all messages fed byte by byte yields the same messages', () => {
  const stream = Buffer.concat(allMessages.map(([b]) => b));
  const r = new FrontendReader();
  const out: FrontendMessage[] = [];
  for (let i = 0; i < stream.length; i++) {
    r.push(stream.subarray(i, i + 1));
    for (let m = r.next(); m !== null; m = r.next()) out.push(m);
  }
  assert.deepEqual(
    out,
    allMessages.map(([, m]) => m),
  );
  assert.equal(r.bufferedBytes(), 0);
});

test('arbitrary chunk boundaries and large messages grow and compact the buffer correctly', () => {
  const big = 'x'.repeat(100_000);
  const msgs = [msg('Q', cstr(big)), ...allMessages.map(([b]) => b), msg('Q', cstr(`${big}y`))];
  const stream = Buffer.concat([...msgs, ...msgs, ...msgs]);
  const rnd = seededRandom(7);
  const r = new FrontendReader();
  let count = 0;
  let pos = 0;
  while (pos < stream.length) {
    const n = 1 + Math.floor(rnd() * 5000);
    r.push(stream.subarray(pos, pos + n));
    pos += n;
    for (let m = r.next(); m !== null; m = r.next()) {
      if (count % msgs.length === 0) assert.deepEqual(m, { type: 'Query', sql: big });
      count++;
    }
  }
  assert.equal(count, msgs.length * 3);
});

test('Bind parameters stay valid after the reader reuses its buffer', () => {
  const r = new FrontendReader();
  r.push(bindBytes);
  const bind = r.next();
  assert.ok(bind?.type === 'Bind');
  for (let i = 0; i < 50; i++) r.push(msg('Q', cstr('z'.repeat(1000))));
  while (r.next() !== null);
  assert.deepEqual(bind.params[0], Buffer.from('abc'));
});

test('the pg client serializer output parses (interop)', () => {
  const pgRequire = createRequire(createRequire(import.meta.url).resolve('pg'));
  const { serialize } = pgRequire('pg-protocol') as {
    serialize: Record<string, (arg?: unknown, arg2?: unknown) => Buffer>;
  };
  const bytes = Buffer.concat([
    serialize.parse!({ name: 'n', text: 'SELECT $1', types: [25] }),
    serialize.bind!({ portal: '', statement: 'n', values: ['hi', null, Buffer.from([1, 2])] }),
    serialize.describe!({ type: 'P', name: '' }),
    serialize.execute!({ portal: '', rows: 0 }),
    serialize.sync!(),
    serialize.sendSASLInitialResponseMessage!('SCRAM-SHA-256', 'n,,n=*,r=abc'),
  ]);
  const out = readAll(bytes);
  assert.deepEqual(
    out.map((m) => m.type),
    ['Parse', 'Bind', 'Describe', 'Execute', 'Sync', 'Password'],
  );
  const bind = out[1];
  assert.ok(bind?.type === 'Bind');
  assert.deepEqual(bind.params, [Buffer.from('hi'), null, Buffer.from([1, 2])]);
  const sasl = out[5];
  assert.ok(sasl?.type === 'Password');
  const init = parseSASLInitialResponse(sasl.body);
  assert.equal(init.mechanism, 'SCRAM-SHA-256');
  assert.equal(init.data.toString(), 'n,,n=*,r=abc');
});

test('startup packets: Startup, SSLRequest, GSSENCRequest, CancelRequest', () => {
  const r = new FrontendReader();
  r.push(packet(i32(80877103)));
  r.push(packet(i32(80877104)));
  const startup = packet(
    i32(196608),
    cstr('user'),
    cstr('alice'),
    cstr('database'),
    cstr('db'),
    Buffer.from([0]),
  );
  r.push(startup.subarray(0, 10));
  const out: StartupMessage[] = [];
  for (let m = r.nextStartup(); m !== null; m = r.nextStartup()) out.push(m);
  r.push(startup.subarray(10));
  out.push(r.nextStartup()!);
  assert.equal(r.nextStartup(), null);
  assert.deepEqual(out, [
    { type: 'SSLRequest' },
    { type: 'GSSENCRequest' },
    { type: 'Startup', protocolVersion: 196608, params: { user: 'alice', database: 'db' } },
  ]);
  const c = new FrontendReader();
  c.push(packet(i32(80877102), i32(42), i32(-7)));
  assert.deepEqual(c.nextStartup(), { type: 'CancelRequest', processId: 42, secretKey: -7 });
  // A startup packet, then regular messages in the same chunk.
  const s = new FrontendReader();
  s.push(Buffer.concat([packet(i32(196608), cstr('user'), cstr('u'), Buffer.from([0])), msg('S')]));
  assert.equal(s.nextStartup()?.type, 'Startup');
  assert.deepEqual(s.next(), { type: 'Sync' });
});

test('protocol 3.x minor versions are passed through for negotiation', () => {
  const r = new FrontendReader();
  r.push(packet(i32(196610), cstr('user'), cstr('u'), cstr('_pq_.x'), cstr('1'), Buffer.from([0])));
  assert.deepEqual(r.nextStartup(), {
    type: 'Startup',
    protocolVersion: 196610,
    params: { user: 'u', '_pq_.x': '1' },
  });
  const w = new BackendWriter();
  w.negotiateProtocolVersion(0, ['_pq_.x']);
  assert.deepEqual(w.take(), msg('v', i32(0), i32(1), cstr('_pq_.x')));
});

test('startup packet errors', () => {
  const bad = (bytes: Buffer, pattern: RegExp): void => {
    const r = new FrontendReader();
    r.push(bytes);
    violation(() => r.nextStartup(), pattern);
  };
  bad(packet(i32(1234 << 16)), /unsupported frontend protocol 1234\.0/);
  bad(packet(i32(2 << 16)), /unsupported frontend protocol/);
  bad(i32(4), /invalid length of startup packet/);
  bad(i32(wireStartupPacketBytesMax + 1), /invalid length of startup packet/);
  bad(packet(i32(196608), cstr('user')), /NUL-terminated/);
  bad(packet(i32(196608), cstr('user'), cstr('u')), /NUL-terminated/);
  bad(packet(i32(80877102), i32(1)), /past the end/);
  bad(packet(i32(80877103), i32(1)), /trailing/);
});

test('message framing errors', () => {
  const bad = (bytes: Buffer, pattern: RegExp): void => {
    const r = new FrontendReader();
    r.push(bytes);
    violation(() => r.next(), pattern);
    // The reader stays failed.
    violation(() => r.next(), pattern);
  };
  bad(Buffer.from([0x7a, 0, 0, 0, 4]), /unknown frontend message type 0x7a/);
  bad(Buffer.from([0x51, 0, 0, 0, 3]), /invalid message length 3/);
  bad(Buffer.concat([Buffer.from('D'), i32(wireMessageBytesMax + 1)]), /exceeds the limit/);
  bad(msg('Q', Buffer.from('no nul')), /Query.*not NUL-terminated/);
  bad(msg('Q', cstr('a'), Buffer.from('b')), /trailing/);
  bad(msg('P', cstr('s'), cstr('q'), i16(3), i32(1)), /parameter types runs past the end/);
  bad(msg('B', cstr(''), cstr(''), i16(0), i16(1), i32(5), Buffer.from('ab')), /parameter 1 runs past/);
  bad(msg('B', cstr(''), cstr(''), i16(0), i16(1), i32(-2), i16(0)), /invalid length -2/);
  bad(msg('B', cstr(''), cstr(''), i16(1), i16(7), i16(0), i16(0)), /unsupported format code 7/);
  bad(msg('B', cstr(''), cstr(''), i16(2), i16(0), i16(0), i16(3)), /2 parameter format codes for 3/);
  bad(msg('B', cstr(''), cstr(''), i16(0), i16(-1)), /parameters runs past/);
  bad(msg('D', Buffer.from('X'), cstr('')), /kind must be 'S' or 'P'/);
  bad(msg('E', cstr('p'), i16(1)), /row limit runs past/);
  bad(msg('S', Buffer.from([1])), /unexpected body/);
  bad(msg('f'), /not NUL-terminated/);
  violation(
    () => parseSASLInitialResponse(Buffer.concat([cstr('SCRAM-SHA-256'), i32(10)])),
    /data runs past/,
  );
  assert.deepEqual(parseSASLInitialResponse(Buffer.concat([cstr('M'), i32(-1)])), {
    mechanism: 'M',
    data: Buffer.alloc(0),
  });
});

test('an oversized Query / Parse / Bind is read past as it arrives, never buffered, then reported', () => {
  for (const [letter, messageType] of [
    ['Q', 'Query'],
    ['P', 'Parse'],
    ['B', 'Bind'],
  ] as const) {
    const r = new FrontendReader();
    const len = wireMessageBytesMax + 10;
    r.push(Buffer.concat([Buffer.from(letter), i32(len), Buffer.alloc(100)]));
    assert.equal(r.next(), null);
    // The body's remaining bytes arrive in chunks; none of them is kept.
    let left = len - 4 - 100;
    const chunk = Buffer.alloc(1 << 20);
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      r.push(chunk.subarray(0, n));
      left -= n;
      assert.equal(r.bufferedBytes(), 0);
      if (left > 0) assert.equal(r.next(), null);
    }
    // Bytes of the next message may come with the last chunk.
    r.push(msg('Q', cstr('SELECT 1')));
    assert.deepEqual(r.next(), { type: 'Oversized', messageType, bytes: len });
    assert.deepEqual(r.next(), { type: 'Query', sql: 'SELECT 1' });
  }
});

test('an incomplete message waits for more bytes', () => {
  const r = new FrontendReader();
  const q = msg('Q', cstr('SELECT 1'));
  r.push(q.subarray(0, 4));
  assert.equal(r.next(), null);
  r.push(q.subarray(4, q.length - 1));
  assert.equal(r.next(), null);
  assert.equal(r.bufferedBytes(), q.length - 1);
  r.push(q.subarray(q.length - 1));
  assert.deepEqual(r.next(), { type: 'Query', sql: 'SELECT 1' });
});

test('fuzz: random bytes only ever produce messages or ProtocolViolationError', () => {
  const rnd = seededRandom(0xc0ffee);
  const types = 'QPBDECSHXpdcfFz';
  let messages = 0;
  let violations = 0;
  for (let iter = 0; iter < 2000; iter++) {
    const parts: Buffer[] = [];
    const nParts = 1 + Math.floor(rnd() * 4);
    for (let p = 0; p < nParts; p++) {
      const len = Math.floor(rnd() * 40);
      const body = Buffer.alloc(len);
      for (let i = 0; i < len; i++) body[i] = rnd() < 0.3 ? 0 : Math.floor(rnd() * 256);
      // Mostly well-framed messages with random bodies, sometimes raw noise.
      parts.push(rnd() < 0.8 ? msg(types[Math.floor(rnd() * types.length)]!, body) : body);
    }
    const stream = Buffer.concat(parts);
    const startupPhase = rnd() < 0.2;
    const r = new FrontendReader();
    let pos = 0;
    let steps = 0;
    try {
      while (pos < stream.length) {
        const n = 1 + Math.floor(rnd() * 16);
        r.push(stream.subarray(pos, pos + n));
        pos += n;
        for (;;) {
          assert.ok(++steps < 10_000, 'reader loops');
          const m = startupPhase ? r.nextStartup() : r.next();
          if (m === null) break;
          assert.equal(typeof m.type, 'string');
          messages++;
        }
      }
    } catch (err) {
      assert.ok(err instanceof ProtocolViolationError, `unexpected ${String(err)}`);
      violations++;
    }
  }
  assert.ok(messages > 100 && violations > 100, `messages=${messages} violations=${violations}`);
});

const hex = (b: Buffer): string => b.toString('hex');

test('backend writer: byte-exact fixed messages', () => {
  const w = new BackendWriter();
  w.readyForQuery('I');
  assert.equal(hex(w.take()), '5a0000000549');
  assert.equal(w.length, 0);
  w.authenticationOk();
  w.authenticationCleartextPassword();
  w.parseComplete();
  w.bindComplete();
  w.closeComplete();
  w.noData();
  w.portalSuspended();
  w.emptyQueryResponse();
  w.copyDone();
  assert.equal(
    hex(w.take()),
    ['520000000800000000', '520000000800000003', '3100000004', '3200000004', '3300000004', '6e00000004']
      .concat(['7300000004', '4900000004', '6300000004'])
      .join(''),
  );
  w.authenticationSASL(['SCRAM-SHA-256']);
  assert.deepEqual(
    w.take(),
    Buffer.concat([Buffer.from('R'), i32(23), i32(10), cstr('SCRAM-SHA-256'), Buffer.from([0])]),
  );
  w.authenticationSASLContinue('r=abc');
  w.authenticationSASLFinal('v=xyz');
  assert.deepEqual(
    w.take(),
    Buffer.concat([msg('R', i32(11), Buffer.from('r=abc')), msg('R', i32(12), Buffer.from('v=xyz'))]),
  );
  w.parameterStatus('client_encoding', 'UTF8');
  w.backendKeyData(0xdeadbeef, 7);
  w.commandComplete('SELECT 1');
  w.parameterDescription([23, 25]);
  w.copyInResponse(0, [0, 0]);
  w.sslResponse(false);
  w.sslResponse(true);
  assert.deepEqual(
    w.take(),
    Buffer.concat([
      msg('S', cstr('client_encoding'), cstr('UTF8')),
      msg('K', Buffer.from('deadbeef', 'hex'), i32(7)),
      msg('C', cstr('SELECT 1')),
      msg('t', i16(2), i32(23), i32(25)),
      msg('G', Buffer.from([0]), i16(2), i16(0), i16(0)),
      Buffer.from('NS'),
    ]),
  );
});

test('backend writer: RowDescription, DataRow, ErrorResponse byte-exact', () => {
  const w = new BackendWriter();
  w.rowDescription([
    { name: 'id', tableOid: 16384, columnId: 1, typeOid: 23, typeSize: 4, format: 0 },
    { name: 'név', typeOid: 25, typeSize: -1, typeModifier: 12, format: 1 },
  ]);
  assert.deepEqual(
    w.take(),
    msg(
      'T',
      i16(2),
      cstr('id'),
      i32(16384),
      i16(1),
      i32(23),
      i16(4),
      i32(-1),
      i16(0),
      cstr('név'),
      i32(0),
      i16(0),
      i32(25),
      i16(-1),
      i32(12),
      i16(1),
    ),
  );
  const long = `${'ü'.repeat(100)}a`;
  w.dataRow([null, 'abc', '', 'héllo', Buffer.from([0, 1, 2]), long]);
  const cell = (b: Buffer): Buffer => Buffer.concat([i32(b.length), b]);
  assert.deepEqual(
    w.take(),
    msg(
      'D',
      i16(6),
      i32(-1),
      cell(Buffer.from('abc')),
      cell(Buffer.alloc(0)),
      cell(Buffer.from('héllo')),
      cell(Buffer.from([0, 1, 2])),
      cell(Buffer.from(long)),
    ),
  );
  w.errorResponse({ severity: 'ERROR', code: '42601', message: 'bad', detail: 'd', hint: 'h', position: 7 });
  w.noticeResponse({ severity: 'NOTICE', code: '00000', message: 'hi' });
  const f = (c: string, v: string): Buffer => Buffer.concat([Buffer.from(c), cstr(v)]);
  assert.deepEqual(
    w.take(),
    Buffer.concat([
      msg(
        'E',
        f('S', 'ERROR'),
        f('V', 'ERROR'),
        f('C', '42601'),
        f('M', 'bad'),
        f('D', 'd'),
        f('H', 'h'),
        f('P', '7'),
        Buffer.from([0]),
      ),
      msg('N', f('S', 'NOTICE'), f('V', 'NOTICE'), f('C', '00000'), f('M', 'hi'), Buffer.from([0])),
    ]),
  );
});

test('backend writer: large batches grow the buffer and taken buffers stay valid', () => {
  const w = new BackendWriter();
  for (let i = 0; i < 5000; i++) w.dataRow([String(i), 'x'.repeat(i % 100), null]);
  w.commandComplete('SELECT 5000');
  const first = w.take();
  const copy = Buffer.from(first);
  for (let i = 0; i < 5000; i++) w.dataRow(['overwrite', 'y'.repeat(50)]);
  assert.deepEqual(first, copy);
  const second = w.take();
  assert.ok(second.length > 0);

  // Both batches parse cleanly with the pg client's protocol parser.
  const pgRequire = createRequire(createRequire(import.meta.url).resolve('pg'));
  const { Parser } = pgRequire('pg-protocol/dist/parser') as {
    Parser: new () => { parse(b: Buffer, cb: (m: { name: string; fields?: unknown[] }) => void): void };
  };
  const names: string[] = [];
  let lastFields: unknown[] = [];
  new Parser().parse(first, (m) => {
    names.push(m.name);
    if (m.name === 'dataRow') lastFields = m.fields ?? [];
  });
  assert.equal(names.length, 5001);
  assert.equal(names.at(-1), 'commandComplete');
  assert.deepEqual(lastFields, ['4999', 'x'.repeat(99), null]);
});

test('NUL characters are dropped from error fields', () => {
  const w = new BackendWriter();
  w.errorResponse({ severity: 'ERROR', code: '22P02', message: 'bad "a\0b"' });
  const f = (c: string, v: string): Buffer => Buffer.concat([Buffer.from(c), cstr(v)]);
  assert.deepEqual(
    w.take(),
    msg('E', f('S', 'ERROR'), f('V', 'ERROR'), f('C', '22P02'), f('M', 'bad "ab"'), Buffer.from([0])),
  );
});

test('errorFieldsFrom maps ChorusError and other errors', () => {
  const e = new ChorusError('42P01', 'relation "t" does not exist', { detail: 'd', hint: 'h', position: 15 });
  assert.deepEqual(errorFieldsFrom(e), {
    severity: 'ERROR',
    code: '42P01',
    message: 'relation "t" does not exist',
    detail: 'd',
    hint: 'h',
    position: 15,
  });
  assert.deepEqual(errorFieldsFrom(new ProtocolViolationError('x')), {
    severity: 'FATAL',
    code: '08P01',
    message: 'x',
  });
  assert.deepEqual(errorFieldsFrom(new TypeError('boom')), {
    severity: 'ERROR',
    code: 'XX000',
    message: 'boom',
  });
  assert.deepEqual(errorFieldsFrom('str'), { severity: 'ERROR', code: 'XX000', message: 'str' });
});
