// Hostile and broken PostgreSQL wire input against a real server process, over raw sockets: garbage
// before startup, seeded random (and mutated-valid) frames after startup in random chunkings, truncated
// frames, absurd lengths, oversized startup packets, unknown message types, Bind of a missing statement.
// Each bad connection must end with a well-formed ErrorResponse (08P01 for protocol violations) or stay
// usable; a separate pg client and the server process must be unaffected; /metrics counts the errors.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { seededRandom } from '../../src/testing/random.js';
import { NodeProcess } from '../support/launcher.js';

const PROTOCOL_3 = 196608;
const backendTypes = new Set('123cCdDEGHIKnNRsStTVWZvA');

let node: NodeProcess;
let witness: pg.Client;
let witnessCounter = 0;
/** FATAL 08P01 responses observed on the raw connections of this file. */
let protocolViolationsSeen = 0;

before(async () => {
  // A writer held by a broken connection would make the witness's writes fail with 55P03 after 2 s.
  node = await NodeProcess.start({ configToml: '[server]\nwriter_lock_timeout_ms = 2000\n' });
  witness = new pg.Client({ connectionString: node.connectionString });
  await witness.connect();
  await witness.query('CREATE TABLE witness (id INTEGER PRIMARY KEY, note TEXT)');
});

after(async () => {
  await witness?.end().catch(() => undefined);
  await node?.cleanup();
});

/** The separate pg client keeps working and the server process is alive. */
async function assertServerHealthy(label: string): Promise<void> {
  assert.ok(node.running, `server process died (${label}):\n${node.logs().slice(-4000)}`);
  const id = ++witnessCounter;
  await witness.query('INSERT INTO witness (id, note) VALUES ($1, $2)', [id, label]);
  const r = await witness.query('SELECT count(*) AS n, max(id) AS m FROM witness');
  assert.equal(Number(r.rows[0].n), id, label);
  assert.equal(Number(r.rows[0].m), id, label);
}

// --- framing helpers ------------------------------------------------------------------------------

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0, 0);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n, 0);
  return b;
}

function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

function frame(type: string, body: Buffer, length = body.length + 4): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(length), body]);
}

function startupPacket(params: Record<string, string> = { user: 'x', database: 'y' }): Buffer {
  const body = Buffer.concat([
    int32(PROTOCOL_3),
    ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

interface BackendMessage {
  type: string;
  body: Buffer;
}

interface Parsed {
  messages: BackendMessage[];
  /** Bytes left over that do not form a complete message. */
  rest: Buffer;
}

function parseBackend(buf: Buffer): Parsed {
  const messages: BackendMessage[] = [];
  let at = 0;
  while (buf.length - at >= 5) {
    const len = buf.readInt32BE(at + 1);
    if (len < 4 || buf.length - at < 1 + len) break;
    messages.push({ type: String.fromCharCode(buf[at]!), body: buf.subarray(at + 5, at + 1 + len) });
    at += 1 + len;
  }
  return { messages, rest: buf.subarray(at) };
}

function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const code = String.fromCharCode(body[at]!);
    const end = body.indexOf(0, at + 1);
    if (end < 0) break;
    out[code] = body.subarray(at + 1, end).toString('utf8');
    at = end + 1;
  }
  return out;
}

/** Checks a whole server response is well-formed; returns its errors. Counts FATAL 08P01s. */
function checkResponse(buf: Buffer, context: string): Record<string, string>[] {
  const { messages, rest } = parseBackend(buf);
  assert.equal(
    rest.length,
    0,
    `${context}: response ends with ${rest.length} bytes of an incomplete message`,
  );
  const errors: Record<string, string>[] = [];
  messages.forEach((m, i) => {
    assert.ok(backendTypes.has(m.type), `${context}: unknown backend message type ${JSON.stringify(m.type)}`);
    if (m.type === 'E') {
      const f = errorFields(m.body);
      assert.match(
        f.C ?? '',
        /^[0-9A-Z]{5}$/,
        `${context}: ErrorResponse without SQLSTATE: ${JSON.stringify(f)}`,
      );
      assert.ok(f.M, `${context}: ErrorResponse without message`);
      assert.ok(
        ['ERROR', 'FATAL'].includes(f.V ?? f.S ?? ''),
        `${context}: bad severity ${JSON.stringify(f)}`,
      );
      if ((f.V ?? f.S) === 'FATAL') {
        assert.equal(i, messages.length - 1, `${context}: messages after a FATAL error`);
        if (f.C === '08P01') protocolViolationsSeen++;
      }
      errors.push(f);
    }
  });
  return errors;
}

/** A raw client connection with a receive buffer. */
class Raw {
  received = Buffer.alloc(0);
  closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.received = Buffer.concat([this.received, b]);
      this.notify();
    });
    socket.on('error', () => undefined); // EPIPE/ECONNRESET after the server closed on us
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  static open(): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = connect(node.pgPort, '127.0.0.1');
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new Raw(s));
      });
      s.once('error', reject);
    });
  }

  /** Opens a connection, sends a valid startup packet and waits for ReadyForQuery. */
  static async ready(): Promise<Raw> {
    const r = await Raw.open();
    r.write(startupPacket());
    await r.waitFor('ReadyForQuery after startup', () => r.messages().some((m) => m.type === 'Z'));
    r.received = Buffer.alloc(0);
    return r;
  }

  write(b: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(b);
  }

  /** Writes the bytes in random chunks, yielding to the event loop between chunks. */
  async writeChunked(b: Buffer, rand: () => number): Promise<void> {
    let at = 0;
    while (at < b.length) {
      const n = 1 + Math.floor(rand() * Math.min(b.length - at, rand() < 0.5 ? 8 : 200));
      this.write(b.subarray(at, at + n));
      at += n;
      await new Promise((r) => setImmediate(r));
    }
  }

  messages(): BackendMessage[] {
    return parseBackend(this.received).messages;
  }

  waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (cond()) {
          cleanup();
          resolve();
        } else if (this.closed) {
          cleanup();
          reject(
            new Error(
              `connection closed while waiting for ${what}; received ${this.received.toString('latin1')}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out waiting for ${what}; received ${JSON.stringify(this.received.toString('latin1'))}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Waits for the server to close the connection (without us closing first). */
  waitClosed(what: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const check = (): void => {
        if (this.closed) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        this.socket.destroy();
        reject(new Error(`server did not close the connection: ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Half-closes our side and waits until the server has closed too. */
  async finish(what: string): Promise<Buffer> {
    this.socket.end();
    await this.waitClosed(what);
    return this.received;
  }
}

/** Expects the server to answer with exactly one FATAL 08P01 ErrorResponse and close. */
async function expectProtocolViolation(
  r: Raw,
  what: string,
  message?: RegExp,
): Promise<Record<string, string>> {
  await r.waitClosed(what);
  const errors = checkResponse(r.received, what);
  assert.equal(errors.length, 1, `${what}: expected one ErrorResponse, got ${JSON.stringify(errors)}`);
  const e = errors[0]!;
  assert.equal(e.C, '08P01', `${what}: ${JSON.stringify(e)}`);
  assert.equal(e.V ?? e.S, 'FATAL');
  if (message) assert.match(e.M ?? '', message);
  return e;
}

// --- random generators ----------------------------------------------------------------------------

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function randomText(rand: () => number, max: number): string {
  const words = [
    'SELECT',
    '1',
    'FROM',
    'witness',
    '$1',
    ',',
    '(',
    ')',
    "'",
    'x',
    ';',
    'WHERE',
    '::',
    'int',
    '--',
  ];
  const n = Math.floor(rand() * max);
  return Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
}

/** A frontend message that is valid or nearly so, then maybe mutated. */
function randomFrame(rand: () => number, mutationRate: number): Buffer {
  const pick = rand() * (mutationRate < 1 ? 0.7 : 1);
  let type: string;
  let body: Buffer;
  if (pick < 0.12) {
    type = 'Q';
    body = cstr(rand() < 0.3 ? 'SELECT 1' : randomText(rand, 6));
  } else if (pick < 0.24) {
    type = 'P';
    const nParams = Math.floor(rand() * 3);
    body = Buffer.concat([
      cstr(rand() < 0.5 ? '' : `s${Math.floor(rand() * 3)}`),
      cstr(rand() < 0.4 ? 'SELECT $1 + 1' : randomText(rand, 5)),
      int16(rand() < 0.9 ? nParams : Math.floor(rand() * 65536) - 32768),
      ...Array.from({ length: nParams }, () => int32(rand() < 0.5 ? 23 : Math.floor(rand() * 5000))),
    ]);
  } else if (pick < 0.36) {
    type = 'B';
    const nParams = Math.floor(rand() * 3);
    body = Buffer.concat([
      cstr(''),
      cstr(rand() < 0.5 ? '' : `s${Math.floor(rand() * 3)}`),
      int16(rand() < 0.5 ? 0 : 1),
      ...(rand() < 0.9 ? [int16(0)] : []),
      int16(nParams),
      ...Array.from({ length: nParams }, () => {
        const v = Buffer.from(String(Math.floor(rand() * 1000)));
        return Buffer.concat([int32(rand() < 0.85 ? v.length : Math.floor(rand() * 2 ** 31)), v]);
      }),
      int16(0),
    ]);
  } else if (pick < 0.44) {
    type = rand() < 0.5 ? 'D' : 'C';
    body = Buffer.concat([Buffer.from(rand() < 0.8 ? (rand() < 0.5 ? 'S' : 'P') : 'Z'), cstr('')]);
  } else if (pick < 0.52) {
    type = 'E';
    body = Buffer.concat([cstr(''), int32(Math.floor(rand() * 3))]);
  } else if (pick < 0.62) {
    type = rand() < 0.5 ? 'S' : 'H';
    body = Buffer.alloc(0);
  } else if (pick < 0.7) {
    type = ['d', 'c', 'f', 'F', 'p'][Math.floor(rand() * 5)]!;
    body = randomBytes(rand, Math.floor(rand() * 20));
  } else {
    // Any type byte (mostly invalid ones) with a random body.
    type = String.fromCharCode(Math.floor(rand() * 256));
    body = randomBytes(rand, Math.floor(rand() * 40));
  }
  // Mutations: flip bytes, truncate or extend the body, lie about the length.
  if (rand() < 0.3 * mutationRate && body.length > 0)
    body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
  if (rand() < 0.15 * mutationRate) body = body.subarray(0, Math.floor(rand() * body.length));
  if (rand() < 0.15 * mutationRate)
    body = Buffer.concat([body, randomBytes(rand, 1 + Math.floor(rand() * 8))]);
  let length = body.length + 4;
  const lie = rand() / mutationRate;
  if (lie < 0.05)
    length = Math.floor(rand() * 4); // below the minimum
  else if (lie < 0.1)
    length = Math.floor(rand() * 2 ** 31); // absurdly large
  else if (lie < 0.15) length += Math.floor(rand() * 16) - 8; // slightly off
  return frame(type, body, length);
}

// --- tests ------------------------------------------------------------------------------------------

describe('malformed input on the wire', () => {
  test('garbage before startup: answered with 08P01 or ignored, server unaffected', async () => {
    // Deterministic: lengths that cannot be a startup packet are refused at once.
    for (const [what, bytes] of [
      ['negative length', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])],
      ['HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['length below 8', Buffer.from([0, 0, 0, 4])],
      [
        'unknown protocol version',
        Buffer.concat([int32(16), int32(0x00020000), cstr('user'), cstr('x'), Buffer.from([0])]),
      ],
    ] as const) {
      const r = await Raw.open();
      r.write(bytes);
      await expectProtocolViolation(r, what);
    }
    // Random garbage, random chunking; the client hangs up at the end.
    const seeds = 60;
    await Promise.all(
      Array.from({ length: seeds }, async (_, seed) => {
        const rand = seededRandom(1000 + seed);
        const r = await Raw.open();
        await r.writeChunked(randomBytes(rand, 1 + Math.floor(rand() * 300)), rand);
        const reply = await r.finish(`garbage seed ${1000 + seed}`);
        // An SSLRequest/GSSENCRequest look-alike could be answered with one byte; otherwise messages.
        const text =
          reply.length > 0 && 'NS'.includes(String.fromCharCode(reply[0]!)) ? reply.subarray(1) : reply;
        checkResponse(text, `garbage seed ${1000 + seed}`);
      }),
    );
    await assertServerHealthy('after garbage before startup');
  });

  test('random frames after startup (200 seeds, random chunking), each on its own connection', async () => {
    const seeds = 200;
    const batch = 25;
    let fatal = 0;
    let survived = 0;
    const fatalCodes = new Map<string, number>();
    for (let from = 0; from < seeds; from += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, seeds - from) }, async (_, i) => {
          const seed = from + i;
          const rand = seededRandom(seed);
          const r = await Raw.ready();
          // Odd seeds: heavily mutated frames; even seeds: mostly well-formed ones (deeper server paths).
          const mutationRate = seed % 2 === 1 ? 1 : 0.1;
          const frames = Array.from({ length: 1 + Math.floor(rand() * 6) }, () =>
            randomFrame(rand, mutationRate),
          );
          // End with a Sync and a query: if the connection survived the frames it must still answer.
          const probe = Buffer.concat([frame('S', Buffer.alloc(0)), frame('Q', cstr('SELECT 42'))]);
          await r.writeChunked(Buffer.concat([...frames, probe]), rand);
          const reply = await r.finish(`frames seed ${seed}`);
          const errors = checkResponse(reply, `frames seed ${seed}`);
          const last = errors[errors.length - 1];
          if (last && (last.V ?? last.S) === 'FATAL') {
            fatal++;
            fatalCodes.set(last.C!, (fatalCodes.get(last.C!) ?? 0) + 1);
          } else if (
            parseBackend(reply).messages.some(
              (m) => m.type === 'D' && m.body.toString('latin1').endsWith('42'),
            )
          ) {
            survived++;
          }
        }),
      );
      await assertServerHealthy(`after random frames ${from}..${from + batch - 1}`);
    }
    console.log(
      `random frames: ${fatal} connections closed with a FATAL error (${JSON.stringify(Object.fromEntries(fatalCodes))}), ${survived} answered the probe query`,
    );
    // Garbage from an authenticated client is a protocol violation, nothing else.
    assert.deepEqual([...fatalCodes.keys()], ['08P01']);
    assert.ok(fatal > 0, 'no random frame sequence was refused as a protocol violation');
    assert.ok(survived > 0, 'no connection survived harmless frames');
  });

  test('truncated frames, then the client closes: server unaffected', async () => {
    // Truncated startup packet.
    {
      const r = await Raw.open();
      r.write(startupPacket().subarray(0, 10));
      r.socket.destroy();
    }
    // Truncated messages of several types after startup, closed with FIN or RST.
    const whole = [
      frame('Q', cstr('SELECT 1')),
      frame('P', Buffer.concat([cstr('s'), cstr('SELECT $1 + 1'), int16(1), int32(23)])),
      frame(
        'B',
        Buffer.concat([cstr(''), cstr('s'), int16(0), int16(1), int32(1), Buffer.from('7'), int16(0)]),
      ),
    ];
    for (const [i, f] of whole.entries()) {
      for (const cut of [1, 3, 5, f.length - 1]) {
        const r = await Raw.ready();
        r.write(f.subarray(0, cut));
        if ((i + cut) % 2 === 0) r.socket.destroy();
        else {
          const reply = await r.finish(`truncated frame ${i} at ${cut}`);
          assert.equal(checkResponse(reply, `truncated frame ${i} at ${cut}`).length, 0);
        }
      }
    }
    // A truncated message followed by the rest much later is still one message.
    const r = await Raw.ready();
    const q = frame('Q', cstr('SELECT 5'));
    r.write(q.subarray(0, 7));
    await assertServerHealthy('between two halves of a message');
    r.write(q.subarray(7));
    await r.waitFor('query answer', () => r.messages().some((m) => m.type === 'Z'));
    const types = r.messages().map((m) => m.type);
    assert.deepEqual(types, ['T', 'D', 'C', 'Z']);
    await r.finish('split query');
    await assertServerHealthy('after truncated frames');
  });

  test('message length 0x7fffffff is refused immediately with 08P01', async () => {
    const r = await Raw.ready();
    r.write(Buffer.concat([Buffer.from('Q'), int32(0x7fffffff), Buffer.from('SELECT')]));
    await expectProtocolViolation(r, 'length 0x7fffffff', /exceeds the limit/);
    await assertServerHealthy('after 0x7fffffff');
  });

  test('message just over 64 MiB is refused; one of exactly 64 MiB is accepted', async () => {
    const limit = 64 * 1024 * 1024;
    const over = await Raw.ready();
    over.write(Buffer.concat([Buffer.from('d'), int32(limit + 1)]));
    await expectProtocolViolation(over, '64 MiB + 1');

    // CopyData outside COPY is ignored by the server, so a maximal one must leave the connection usable.
    const max = await Raw.ready();
    max.write(Buffer.concat([Buffer.from('d'), int32(limit), Buffer.alloc(limit - 4, 0x61)]));
    max.write(frame('Q', cstr('SELECT 6')));
    await max.waitFor(
      'answer after a 64 MiB message',
      () => max.messages().some((m) => m.type === 'Z'),
      20_000,
    );
    const errors = checkResponse(max.received, '64 MiB message');
    assert.deepEqual(errors, []);
    await max.finish('64 MiB message');
    await assertServerHealthy('after 64 MiB messages');
  });

  test('startup packet of 20000 bytes is refused with 08P01', async () => {
    const big = Buffer.concat([
      int32(20_000),
      int32(PROTOCOL_3),
      cstr('user'),
      cstr('x'),
      cstr('application_name'),
      cstr('a'.repeat(20_000 - 4 - 4 - 5 - 2 - 17 - 1 - 1)),
      Buffer.from([0]),
    ]);
    assert.equal(big.length, 20_000);
    const r = await Raw.open();
    r.write(big);
    await expectProtocolViolation(r, 'startup packet of 20000 bytes', /startup packet/);
    // The length alone is enough to refuse it: no need to send the body.
    const h = await Raw.open();
    h.write(int32(20_000));
    await expectProtocolViolation(h, 'startup length 20000 without body');
    await assertServerHealthy('after oversized startup packets');
  });

  test('unknown message type after authentication closes with 08P01', async () => {
    for (const t of ['z', '\0', 'Y', '!']) {
      const r = await Raw.ready();
      r.write(frame(t, Buffer.from('abc')));
      await expectProtocolViolation(r, `message type ${JSON.stringify(t)}`, /unknown frontend message type/);
    }
    await assertServerHealthy('after unknown message types');
  });

  test('structurally broken known messages close with 08P01', async () => {
    const cases: [string, Buffer][] = [
      ['Query without terminator', frame('Q', Buffer.from('SELECT 1'))],
      ['length below 4', Buffer.concat([Buffer.from('Q'), int32(2)])],
      [
        'Parse claiming 1000 parameter types',
        frame('P', Buffer.concat([cstr(''), cstr('SELECT 1'), int16(1000)])),
      ],
      ['Sync with a body', frame('S', Buffer.from('xx'))],
      [
        'Bind with parameter longer than the message',
        frame(
          'B',
          Buffer.concat([cstr(''), cstr(''), int16(0), int16(1), int32(1000), Buffer.from('1'), int16(0)]),
        ),
      ],
    ];
    for (const [what, bytes] of cases) {
      const r = await Raw.ready();
      r.write(bytes);
      await expectProtocolViolation(r, what);
    }
    await assertServerHealthy('after broken known messages');
  });

  test('Bind of a missing statement → 26000, ReadyForQuery after Sync, connection still usable', async () => {
    const r = await Raw.ready();
    const bind = frame('B', Buffer.concat([cstr(''), cstr('nosuch'), int16(0), int16(0), int16(0)]));
    const execute = frame('E', Buffer.concat([cstr(''), int32(0)]));
    r.write(Buffer.concat([bind, execute, frame('S', Buffer.alloc(0))]));
    await r.waitFor('ReadyForQuery after Sync', () => r.messages().some((m) => m.type === 'Z'));
    const msgs = r.messages();
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['E', 'Z'],
      'the Execute after the failed Bind must be skipped until Sync',
    );
    const err = errorFields(msgs[0]!.body);
    assert.equal(err.C, '26000');
    assert.equal(err.V ?? err.S, 'ERROR');
    assert.equal(msgs[1]!.body.toString('latin1'), 'I');

    r.received = Buffer.alloc(0);
    const parse = frame('P', Buffer.concat([cstr('ok'), cstr('SELECT $1 + 1 AS v'), int16(1), int32(23)]));
    const bind2 = frame(
      'B',
      Buffer.concat([cstr(''), cstr('ok'), int16(0), int16(1), int32(2), Buffer.from('41'), int16(0)]),
    );
    r.write(Buffer.concat([parse, bind2, execute, frame('S', Buffer.alloc(0))]));
    await r.waitFor('extended query answer', () => r.messages().some((m) => m.type === 'Z'));
    const types = r.messages().map((m) => m.type);
    assert.deepEqual(types, ['1', '2', 'D', 'C', 'Z']);
    const row = r.messages().find((m) => m.type === 'D')!.body;
    assert.equal(row.readInt16BE(0), 1);
    assert.equal(row.subarray(6, 6 + row.readInt32BE(2)).toString(), '42');

    r.received = Buffer.alloc(0);
    r.write(frame('Q', cstr('SELECT 1')));
    await r.waitFor('simple query answer', () => r.messages().some((m) => m.type === 'Z'));
    assert.deepEqual(
      r.messages().map((m) => m.type),
      ['T', 'D', 'C', 'Z'],
    );
    r.write(frame('X', Buffer.alloc(0)));
    await r.waitClosed('Terminate');
    await assertServerHealthy('after Bind of a missing statement');
  });

  test('startup packet boundaries: 10000 bytes accepted, 10001 refused; no user → 28000', async () => {
    const sized = (total: number): Buffer => {
      const fixed = 4 + 4 + cstr('user').length + cstr('x').length + cstr('application_name').length + 1 + 1;
      return Buffer.concat([
        int32(total),
        int32(PROTOCOL_3),
        cstr('user'),
        cstr('x'),
        cstr('application_name'),
        cstr('a'.repeat(total - fixed)),
        Buffer.from([0]),
      ]);
    };
    const ok = await Raw.open();
    const max = sized(10_000);
    assert.equal(max.length, 10_000);
    ok.write(max);
    await ok.waitFor('ReadyForQuery after a 10000-byte startup packet', () =>
      ok.messages().some((m) => m.type === 'Z'),
    );
    assert.deepEqual(checkResponse(ok.received, '10000-byte startup'), []);
    await ok.finish('10000-byte startup');

    const over = await Raw.open();
    over.write(sized(10_001));
    await expectProtocolViolation(over, '10001-byte startup packet');

    const noUser = await Raw.open();
    noUser.write(startupPacket({ database: 'y' }));
    await noUser.waitClosed('startup without user');
    const errors = checkResponse(noUser.received, 'startup without user');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.C, '28000');
    await assertServerHealthy('after startup boundaries');
  });

  test('a broken connection inside an open write transaction is rolled back and frees the writer', async () => {
    await witness.query('CREATE TABLE held (id INTEGER PRIMARY KEY)');
    const endings: [string, (r: Raw) => void][] = [
      ['unknown message type', (r) => r.write(frame('z', Buffer.from('abcd')))],
      ['length 0x7fffffff', (r) => r.write(Buffer.concat([Buffer.from('Q'), int32(0x7fffffff)]))],
      [
        'truncated message then RST',
        (r) => {
          r.write(frame('Q', cstr('COMMIT')).subarray(0, 6));
          r.socket.resetAndDestroy();
        },
      ],
      ['FIN without Terminate', (r) => r.socket.end()],
    ];
    for (const [i, [what, end]] of endings.entries()) {
      const r = await Raw.ready();
      r.write(frame('Q', cstr(`BEGIN; INSERT INTO held (id) VALUES (${i + 1})`)));
      await r.waitFor(`${what}: in transaction`, () =>
        r.messages().some((m) => m.type === 'Z' && m.body.toString('latin1') === 'T'),
      );
      end(r);
      if (!r.socket.destroyed) await r.waitClosed(what);
      // The witness can write at once (it would get 55P03 if the writer were still held) ...
      await witness.query('INSERT INTO held (id) VALUES ($1)', [100 + i]);
    }
    // ... and none of the broken transactions committed.
    const rows = await witness.query('SELECT id FROM held ORDER BY id');
    assert.deepEqual(
      rows.rows.map((r) => Number(r.id)),
      [100, 101, 102, 103],
    );
    await assertServerHealthy('after broken transactions');
  });

  test('/metrics counts protocol errors', async () => {
    assert.ok(protocolViolationsSeen > 0);
    const res = await node.httpGet('/metrics');
    assert.equal(res.status, 200);
    const line = res.body.split('\n').find((l) => l.startsWith('chorus_protocol_errors_total'));
    assert.ok(line, 'chorus_protocol_errors_total missing from /metrics');
    const value = Number(line.trim().split(/\s+/).pop());
    assert.ok(value > 0, line);
    assert.ok(
      value >= protocolViolationsSeen,
      `metric ${value} < ${protocolViolationsSeen} protocol violations answered on the wire`,
    );
    await assertServerHealthy('at the end');
  });
});
