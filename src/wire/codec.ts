// PostgreSQL v3 wire codec without sockets: FrontendReader parses client bytes into messages,
// BackendWriter batches server messages into one buffer for a single socket write.

import { ChorusError, ProtocolViolationError } from '../errors.js';
import { wireBindParamsMax, wireMessageBytesMax, wireStartupPacketBytesMax } from '../limits.js';

export type StartupMessage =
  | { type: 'Startup'; protocolVersion: number; params: Record<string, string> }
  | { type: 'SSLRequest' }
  | { type: 'GSSENCRequest' }
  | { type: 'CancelRequest'; processId: number; secretKey: number };

export type FrontendMessage =
  | { type: 'Query'; sql: string }
  | { type: 'Parse'; name: string; query: string; paramTypes: number[] }
  | {
      type: 'Bind';
      portal: string;
      statement: string;
      paramFormats: number[];
      params: (Buffer | null)[];
      resultFormats: number[];
    }
  | { type: 'Describe'; kind: 'S' | 'P'; name: string }
  | { type: 'Execute'; portal: string; maxRows: number }
  | { type: 'Close'; kind: 'S' | 'P'; name: string }
  | { type: 'Sync' }
  | { type: 'Flush' }
  | { type: 'Terminate' }
  | { type: 'Password'; body: Buffer }
  | { type: 'CopyData'; data: Buffer }
  | { type: 'CopyDone' }
  | { type: 'CopyFail'; message: string }
  | { type: 'FunctionCall' };

export interface FieldDescription {
  name: string;
  tableOid?: number;
  columnId?: number;
  typeOid: number;
  typeSize: number;
  typeModifier?: number;
  format: 0 | 1;
}

export interface ErrorFields {
  severity: string;
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: number;
}

const sslRequestCode = 80877103;
const gssEncRequestCode = 80877104;
const cancelRequestCode = 80877102;
const protocolMajor3 = 3;
const readerInitialBytes = 16 * 1024;
const readerRetainedBytesMax = 1024 * 1024;

/** Bounds-checked cursor over one complete message body; every overrun is a protocol violation. */
class BodyCursor {
  constructor(
    private readonly buf: Buffer,
    private pos: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  fail(reason: string): never {
    throw new ProtocolViolationError(`invalid ${this.what} message: ${reason}`);
  }

  need(n: number, field: string): void {
    if (this.end - this.pos < n) this.fail(`${field} runs past the end of the message`);
  }

  /** Claims n bytes and returns their offset. */
  private at(n: number, field: string): number {
    this.need(n, field);
    this.pos += n;
    return this.pos - n;
  }

  int16(field: string): number {
    return this.buf.readInt16BE(this.at(2, field));
  }

  uint16(field: string): number {
    return this.buf.readUInt16BE(this.at(2, field));
  }

  int32(field: string): number {
    return this.buf.readInt32BE(this.at(4, field));
  }

  uint32(field: string): number {
    return this.buf.readUInt32BE(this.at(4, field));
  }

  byte(field: string): number {
    return this.buf[this.at(1, field)]!;
  }

  bytes(n: number, field: string): Buffer {
    const at = this.at(n, field);
    return this.buf.subarray(at, at + n);
  }

  cstring(field: string): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) this.fail(`${field} is not NUL-terminated`);
    const s = this.buf.toString('utf8', this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  done(): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} unexpected trailing byte(s)`);
  }
}

function formatCodes(c: BodyCursor, field: string): number[] {
  const n = c.uint16(`${field} count`);
  if (n > wireBindParamsMax) c.fail(`${n} ${field} exceed the limit of ${wireBindParamsMax}`);
  c.need(n * 2, field);
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const code = c.int16(field);
    if (code !== 0 && code !== 1) c.fail(`unsupported format code ${code}`);
    codes[i] = code;
  }
  return codes;
}

function describeKind(c: BodyCursor): 'S' | 'P' {
  const k = c.byte('kind');
  if (k === 0x53) return 'S';
  if (k === 0x50) return 'P';
  return c.fail(`kind must be 'S' or 'P', got 0x${k.toString(16)}`);
}

/**
 * Accumulates client bytes and yields whole messages. Handed-out Buffers (Bind params, Password
 * body, CopyData) are copies, so they stay valid however the reader reuses its buffer. After a
 * ProtocolViolationError the reader is poisoned: every later call rethrows that error.
 */
export class FrontendReader {
  private buf: Buffer = Buffer.allocUnsafe(readerInitialBytes);
  private start = 0;
  private end = 0;
  private failure: ProtocolViolationError | null = null;

  push(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0) return;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      // Drop a buffer that grew for one huge message once it has been consumed.
      if (this.buf.length > readerRetainedBytesMax && n <= readerInitialBytes) {
        this.buf = Buffer.allocUnsafe(readerInitialBytes);
      }
    }
    if (this.end + n > this.buf.length) {
      const live = this.end - this.start;
      if (this.start >= this.buf.length / 2 && live + n <= this.buf.length) {
        // Compact in place: at least half the buffer was consumed, so copying stays amortized linear.
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let cap = this.buf.length * 2;
        while (cap < live + n) cap *= 2;
        const next = Buffer.allocUnsafe(cap);
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.buf, this.end);
    this.end += n;
  }

  bufferedBytes(): number {
    return this.end - this.start;
  }

  private fail(message: string): never {
    this.failure = new ProtocolViolationError(message);
    throw this.failure;
  }

  private guard<T>(parse: () => T): T {
    if (this.failure) throw this.failure;
    try {
      return parse();
    } catch (err) {
      if (err instanceof ProtocolViolationError) {
        this.failure = err;
        throw err;
      }
      // Any other exception is a bug in this file; surface it as a protocol violation so a bad
      // client can never crash the server through the codec.
      this.failure = new ProtocolViolationError(`malformed message: ${(err as Error).message}`);
      throw this.failure;
    }
  }

  /** Reads the untyped startup-phase packet; null until it is complete. */
  nextStartup(): StartupMessage | null {
    return this.guard(() => this.readStartup());
  }

  private readStartup(): StartupMessage | null {
    const avail = this.end - this.start;
    if (avail < 4) return null;
    const len = this.buf.readInt32BE(this.start);
    if (len < 8 || len > wireStartupPacketBytesMax) this.fail(`invalid length of startup packet: ${len}`);
    if (avail < len) return null;
    const s = this.start;
    const code = this.buf.readInt32BE(s + 4);
    const c = new BodyCursor(this.buf, s + 8, s + len, 'startup');
    this.start += len;
    if (code === sslRequestCode || code === gssEncRequestCode) {
      c.done();
      return code === sslRequestCode ? { type: 'SSLRequest' } : { type: 'GSSENCRequest' };
    }
    if (code === cancelRequestCode) {
      const processId = c.int32('process id');
      const secretKey = c.int32('secret key');
      c.done();
      return { type: 'CancelRequest', processId, secretKey };
    }
    if (code >>> 16 !== protocolMajor3) {
      this.fail(`unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0`);
    }
    const entries: [string, string][] = [];
    for (;;) {
      const key = c.cstring('parameter name');
      if (key === '') break;
      entries.push([key, c.cstring(`value of parameter "${key}"`)]);
    }
    c.done();
    return { type: 'Startup', protocolVersion: code, params: Object.fromEntries(entries) };
  }

  /** Reads one typed message; null until a whole message is buffered. */
  next(): FrontendMessage | null {
    return this.guard(() => this.readMessage());
  }

  private readMessage(): FrontendMessage | null {
    const avail = this.end - this.start;
    if (avail < 5) return null;
    const s = this.start;
    const type = this.buf[s]!;
    const len = this.buf.readInt32BE(s + 1);
    if (len < 4) this.fail(`invalid message length ${len} for message type 0x${type.toString(16)}`);
    if (len > wireMessageBytesMax) {
      this.fail(`message of ${len} bytes exceeds the limit of ${wireMessageBytesMax} bytes`);
    }
    if (!frontendTypes.includes(String.fromCharCode(type)))
      this.fail(`unknown frontend message type 0x${type.toString(16)}`);
    if (avail < len + 1) return null;
    const bodyStart = s + 5;
    const bodyEnd = s + 1 + len;
    this.start = bodyEnd;
    return this.parseBody(type, bodyStart, bodyEnd);
  }

  private parseBody(type: number, bodyStart: number, bodyEnd: number): FrontendMessage {
    const buf = this.buf;
    switch (type) {
      case 0x51: {
        const c = new BodyCursor(buf, bodyStart, bodyEnd, 'Query');
        const sql = c.cstring('query string');
        c.done();
        return { type: 'Query', sql };
      }
      case 0x50: {
        const c = new BodyCursor(buf, bodyStart, bodyEnd, 'Parse');
        const name = c.cstring('statement name');
        const query = c.cstring('query string');
        const n = c.uint16('parameter type count');
        if (n > wireBindParamsMax) c.fail(`${n} parameter types exceed the limit of ${wireBindParamsMax}`);
        c.need(n * 4, 'parameter types');
        const paramTypes = new Array<number>(n);
        for (let i = 0; i < n; i++) paramTypes[i] = c.uint32('parameter type');
        c.done();
        return { type: 'Parse', name, query, paramTypes };
      }
      case 0x42: {
        // Copy the body once so parameter subarrays never alias the reader's reusable buffer.
        const body = Buffer.from(buf.subarray(bodyStart, bodyEnd));
        const c = new BodyCursor(body, 0, body.length, 'Bind');
        const portal = c.cstring('portal name');
        const statement = c.cstring('statement name');
        const paramFormats = formatCodes(c, 'parameter format codes');
        const n = c.uint16('parameter count');
        if (n > wireBindParamsMax) c.fail(`${n} parameters exceed the limit of ${wireBindParamsMax}`);
        if (paramFormats.length > 1 && paramFormats.length !== n) {
          c.fail(`${paramFormats.length} parameter format codes for ${n} parameters`);
        }
        c.need(n * 4, 'parameters');
        const params = new Array<Buffer | null>(n);
        for (let i = 0; i < n; i++) {
          const plen = c.int32('parameter length');
          if (plen === -1) params[i] = null;
          else if (plen < 0) c.fail(`invalid length ${plen} for parameter ${i + 1}`);
          else params[i] = c.bytes(plen, `parameter ${i + 1}`);
        }
        const resultFormats = formatCodes(c, 'result format codes');
        c.done();
        return { type: 'Bind', portal, statement, paramFormats, params, resultFormats };
      }
      case 0x44:
      case 0x43: {
        const what = type === 0x44 ? 'Describe' : 'Close';
        const c = new BodyCursor(buf, bodyStart, bodyEnd, what);
        const kind = describeKind(c);
        const name = c.cstring('name');
        c.done();
        return type === 0x44 ? { type: 'Describe', kind, name } : { type: 'Close', kind, name };
      }
      case 0x45: {
        const c = new BodyCursor(buf, bodyStart, bodyEnd, 'Execute');
        const portal = c.cstring('portal name');
        const maxRows = c.int32('row limit');
        c.done();
        return { type: 'Execute', portal, maxRows };
      }
      case 0x53:
        return emptyBody(bodyStart, bodyEnd, 'Sync', { type: 'Sync' });
      case 0x48:
        return emptyBody(bodyStart, bodyEnd, 'Flush', { type: 'Flush' });
      case 0x58:
        return emptyBody(bodyStart, bodyEnd, 'Terminate', { type: 'Terminate' });
      case 0x63:
        return emptyBody(bodyStart, bodyEnd, 'CopyDone', { type: 'CopyDone' });
      case 0x70:
        return { type: 'Password', body: Buffer.from(buf.subarray(bodyStart, bodyEnd)) };
      case 0x64:
        return { type: 'CopyData', data: Buffer.from(buf.subarray(bodyStart, bodyEnd)) };
      case 0x66: {
        const c = new BodyCursor(buf, bodyStart, bodyEnd, 'CopyFail');
        const message = c.cstring('error message');
        c.done();
        return { type: 'CopyFail', message };
      }
      default:
        // 0x46 FunctionCall: the body is skipped; the server answers that it is not supported.
        return { type: 'FunctionCall' };
    }
  }
}

/** Type bytes of the frontend messages we understand. */
const frontendTypes = 'QPBDECSHXpdcfF';

function emptyBody<T extends FrontendMessage>(start: number, end: number, what: string, msg: T): T {
  if (end !== start) throw new ProtocolViolationError(`invalid ${what} message: unexpected body`);
  return msg;
}

/** Parses the body of a SASLInitialResponse ('p' message sent after AuthenticationSASL). */
export function parseSASLInitialResponse(body: Buffer): { mechanism: string; data: Buffer } {
  const c = new BodyCursor(body, 0, body.length, 'SASLInitialResponse');
  const mechanism = c.cstring('mechanism name');
  const len = c.int32('data length');
  if (len < -1) c.fail(`invalid data length ${len}`);
  const data = len === -1 ? Buffer.alloc(0) : c.bytes(len, 'data');
  c.done();
  return { mechanism, data };
}

const writerInitialBytes = 16 * 1024;
const writerRetainedBytesMax = 1024 * 1024;
const takeCopyBytesMax = 4096;

/** Appends backend messages into one growable buffer; take() hands the batch to the socket. */
export class BackendWriter {
  private buf: Buffer = Buffer.allocUnsafe(writerInitialBytes);
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  /** Returns the bytes written so far (valid after later writes) and resets the writer. */
  take(): Buffer {
    const n = this.pos;
    this.pos = 0;
    // Small batch: copy out (pooled allocation) and keep our buffer; large: hand it over.
    if (n <= takeCopyBytesMax) return Buffer.from(this.buf.subarray(0, n));
    const out = this.buf.subarray(0, n);
    const cap = Math.max(writerInitialBytes, Math.min(this.buf.length, writerRetainedBytesMax));
    this.buf = Buffer.allocUnsafe(cap);
    return out;
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes the type byte and a length placeholder; returns the offset of the length field. */
  private begin(type: number, bodyHint: number): number {
    this.ensure(5 + bodyHint);
    this.buf[this.pos] = type;
    this.pos += 5;
    return this.pos - 4;
  }

  private finish(lenAt: number): void {
    this.buf.writeInt32BE(this.pos - lenAt, lenAt);
  }

  /** Header of a message whose body length is known up front (space for the body is reserved). */
  private fixed(type: number, bodyLength: number): void {
    this.ensure(5 + bodyLength);
    this.buf[this.pos] = type;
    this.buf.writeInt32BE(4 + bodyLength, this.pos + 1);
    this.pos += 5;
  }

  private int16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }

  private int32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v | 0, this.pos);
  }

  private byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  private cstring(s: string): void {
    this.raw(s);
    this.byte(0);
  }

  private raw(data: Buffer | string): void {
    this.ensure(typeof data === 'string' ? data.length * 3 : data.length);
    this.pos +=
      typeof data === 'string' ? this.buf.write(data, this.pos, 'utf8') : data.copy(this.buf, this.pos);
  }

  /** Authentication request ('R') with its code and optional payload. */
  private auth(code: number, data?: string, mechanisms?: string[]): void {
    const at = this.begin(0x52, 8 + (data?.length ?? 0));
    this.int32(code);
    if (data !== undefined) this.raw(data);
    if (mechanisms) {
      for (const m of mechanisms) this.cstring(m);
      this.byte(0);
    }
    this.finish(at);
  }

  authenticationOk(): void {
    this.auth(0);
  }
  authenticationCleartextPassword(): void {
    this.auth(3);
  }
  authenticationSASL(mechanisms: string[]): void {
    this.auth(10, undefined, mechanisms);
  }
  authenticationSASLContinue(data: string): void {
    this.auth(11, data);
  }
  authenticationSASLFinal(data: string): void {
    this.auth(12, data);
  }

  /** NegotiateProtocolVersion: the newest 3.x minor we support and the options we did not recognise. */
  negotiateProtocolVersion(newestMinor: number, unrecognizedOptions: string[]): void {
    const at = this.begin(0x76, 8);
    this.int32(newestMinor);
    this.int32(unrecognizedOptions.length);
    for (const o of unrecognizedOptions) this.cstring(o);
    this.finish(at);
  }

  parameterStatus(name: string, value: string): void {
    const at = this.begin(0x53, name.length + value.length + 2);
    this.cstring(name);
    this.cstring(value);
    this.finish(at);
  }

  backendKeyData(pid: number, secret: number): void {
    this.fixed(0x4b, 8);
    this.int32(pid);
    this.int32(secret);
  }

  readyForQuery(status: 'I' | 'T' | 'E'): void {
    this.fixed(0x5a, 1);
    this.buf[this.pos++] = status.charCodeAt(0);
  }

  rowDescription(fields: FieldDescription[]): void {
    const at = this.begin(0x54, 2 + fields.length * 24);
    this.int16(fields.length);
    for (const f of fields) {
      this.cstring(f.name);
      this.ensure(18);
      const b = this.buf;
      const p = this.pos;
      b.writeInt32BE((f.tableOid ?? 0) | 0, p);
      b.writeInt16BE(f.columnId ?? 0, p + 4);
      b.writeInt32BE(f.typeOid | 0, p + 6);
      b.writeInt16BE(f.typeSize, p + 10);
      b.writeInt32BE(f.typeModifier ?? -1, p + 12);
      b.writeInt16BE(f.format, p + 16);
      this.pos = p + 18;
    }
    this.finish(at);
  }

  /** DataRow: the hot path. Strings go straight into the output buffer without temporaries. */
  dataRow(cells: (Buffer | string | null)[]): void {
    const n = cells.length;
    const at = this.begin(0x44, 2 + n * 8);
    this.pos = this.buf.writeInt16BE(n, this.pos);
    for (let i = 0; i < n; i++) {
      const cell = cells[i];
      if (cell === null || cell === undefined) {
        this.int32(-1);
      } else if (typeof cell === 'string') {
        const sl = cell.length;
        this.ensure(4 + sl * 3);
        const b = this.buf;
        const lenAt = this.pos;
        let p = lenAt + 4;
        let j = 0;
        if (sl < 64) {
          // Short strings: copy ASCII by hand (cheaper than crossing into C++); stop at non-ASCII.
          for (; j < sl; j++) {
            const ch = cell.charCodeAt(j);
            if (ch >= 0x80) break;
            b[p + j] = ch;
          }
        }
        p += j === sl ? sl : b.write(cell, p, 'utf8');
        b.writeInt32BE(p - lenAt - 4, lenAt);
        this.pos = p;
      } else {
        this.int32(cell.length);
        this.raw(cell);
      }
    }
    this.finish(at);
  }

  commandComplete(tag: string): void {
    const at = this.begin(0x43, tag.length + 1);
    this.cstring(tag);
    this.finish(at);
  }

  private fieldsMessage(type: number, f: ErrorFields): void {
    const at = this.begin(type, f.message.length + 32);
    const field = (code: number, v: string | number | undefined): void => {
      if (v === undefined) return;
      this.byte(code);
      // A NUL inside a field would end it early and desynchronise the client's parser.
      this.cstring(String(v).replaceAll('\0', ''));
    };
    field(0x53, f.severity); // S
    field(0x56, f.severity); // V
    field(0x43, f.code); // C
    field(0x4d, f.message); // M
    field(0x44, f.detail); // D
    field(0x48, f.hint); // H
    field(0x50, f.position); // P
    this.byte(0);
    this.finish(at);
  }

  errorResponse(fields: ErrorFields): void {
    this.fieldsMessage(0x45, fields);
  }
  noticeResponse(fields: ErrorFields): void {
    this.fieldsMessage(0x4e, fields);
  }
  emptyQueryResponse(): void {
    this.fixed(0x49, 0);
  }
  parseComplete(): void {
    this.fixed(0x31, 0);
  }
  bindComplete(): void {
    this.fixed(0x32, 0);
  }
  closeComplete(): void {
    this.fixed(0x33, 0);
  }
  noData(): void {
    this.fixed(0x6e, 0);
  }
  portalSuspended(): void {
    this.fixed(0x73, 0);
  }
  copyDone(): void {
    this.fixed(0x63, 0);
  }

  parameterDescription(oids: number[]): void {
    this.fixed(0x74, 2 + oids.length * 4);
    this.int16(oids.length);
    for (const oid of oids) this.int32(oid);
  }

  private copyResponse(type: number, format: 0 | 1, columnFormats: number[]): void {
    this.fixed(type, 3 + columnFormats.length * 2);
    this.byte(format);
    this.int16(columnFormats.length);
    for (const f of columnFormats) this.int16(f);
  }

  copyInResponse(format: 0 | 1, columnFormats: number[]): void {
    this.copyResponse(0x47, format, columnFormats);
  }
  copyOutResponse(format: 0 | 1, columnFormats: number[]): void {
    this.copyResponse(0x48, format, columnFormats);
  }

  copyData(data: Buffer | string): void {
    const at = this.begin(0x64, data.length);
    this.raw(data);
    this.finish(at);
  }

  /** Answer to SSLRequest / GSSENCRequest: a single byte, no header. */
  sslResponse(accept: boolean): void {
    this.byte(accept ? 0x53 : 0x4e);
  }
}

/** Maps any thrown value to the fields of an ErrorResponse. */
export function errorFieldsFrom(err: unknown): ErrorFields {
  if (err instanceof ChorusError) {
    const f: ErrorFields = { severity: err.severity, code: err.sqlstate, message: err.message };
    if (err.detail !== undefined) f.detail = err.detail;
    if (err.hint !== undefined) f.hint = err.hint;
    if (err.position !== undefined) f.position = err.position;
    return f;
  }
  if (err instanceof Error) return { severity: 'ERROR', code: 'XX000', message: err.message };
  return { severity: 'ERROR', code: 'XX000', message: String(err) };
}
