// PostgreSQL v3 wire codec without sockets: FrontendReader parses client bytes into messages;
// the message types shared with BackendWriter (backend-writer.ts) live here too.

import { ChorusError, ProtocolViolationError } from '../errors.js';
import {
  wireBindParamsMax,
  wireMessageBytesMax,
  wireSkippableMessageBytesMax,
  wireStartupPacketBytesMax,
} from '../limits.js';

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
  | { type: 'FunctionCall' }
  /** A Query, Parse or Bind longer than wireMessageBytesMax, skipped without buffering it. */
  | { type: 'Oversized'; messageType: 'Query' | 'Parse' | 'Bind'; bytes: number };

/** Messages too long to take that can be skipped (answered with 54000) instead of closing. */
const skippableTypes: Record<string, 'Query' | 'Parse' | 'Bind'> = { Q: 'Query', P: 'Parse', B: 'Bind' };

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
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  where?: string;
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
  /** Bytes of an oversized message still to discard as they arrive. */
  private skipBytes = 0;
  /** The oversized message being skipped, handed out once it has been read past. */
  private skipped: (FrontendMessage & { type: 'Oversized' }) | null = null;

  push(chunk: Buffer): void {
    if (this.skipBytes > 0) {
      const take = Math.min(chunk.length, this.skipBytes);
      this.skipBytes -= take;
      chunk = chunk.subarray(take);
    }
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

  /**
   * The complete messages already buffered after the current position (at most `max`), without
   * consuming them; a malformed one ends the list (the real read reports it).
   */
  peek(max: number): FrontendMessage[] {
    if (this.failure) return [];
    const saved = this.start;
    const out: FrontendMessage[] = [];
    try {
      while (out.length < max) {
        const m = this.readMessage();
        if (!m) break;
        out.push(m);
      }
    } catch {
      // Left for next() to report.
    } finally {
      this.start = saved;
      this.failure = null;
    }
    return out;
  }

  /** Reads one typed message; null until a whole message is buffered. */
  next(): FrontendMessage | null {
    return this.guard(() => this.readMessage());
  }

  private readMessage(): FrontendMessage | null {
    if (this.skipped) {
      if (this.skipBytes > 0) return null;
      const done = this.skipped;
      this.skipped = null;
      return done;
    }
    const avail = this.end - this.start;
    if (avail < 5) return null;
    const s = this.start;
    const type = this.buf[s]!;
    const len = this.buf.readInt32BE(s + 1);
    if (len < 4) this.fail(`invalid message length ${len} for message type 0x${type.toString(16)}`);
    if (len > wireMessageBytesMax) {
      const skippable =
        len <= wireSkippableMessageBytesMax ? skippableTypes[String.fromCharCode(type)] : undefined;
      if (!skippable) this.fail(`message of ${len} bytes exceeds the limit of ${wireMessageBytesMax} bytes`);
      // Read past it as it arrives (never buffered), then answer it with an error.
      const total = len + 1;
      const here = Math.min(avail, total);
      this.start += here;
      this.skipBytes = total - here;
      this.skipped = { type: 'Oversized', messageType: skippable, bytes: len };
      return this.readMessage();
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

/** Maps any thrown value to the fields of an ErrorResponse. */
export function errorFieldsFrom(err: unknown): ErrorFields {
  if (err instanceof ChorusError) {
    const f: ErrorFields = { severity: err.severity, code: err.sqlstate, message: err.message };
    if (err.detail !== undefined) f.detail = err.detail;
    if (err.hint !== undefined) f.hint = err.hint;
    if (err.position !== undefined) f.position = err.position;
    if (err.schema !== undefined) f.schema = err.schema;
    if (err.table !== undefined) f.table = err.table;
    if (err.column !== undefined) f.column = err.column;
    if (err.dataType !== undefined) f.dataType = err.dataType;
    if (err.constraint !== undefined) f.constraint = err.constraint;
    if (err.where !== undefined) f.where = err.where;
    return f;
  }
  if (err instanceof Error) return { severity: 'ERROR', code: 'XX000', message: err.message };
  return { severity: 'ERROR', code: 'XX000', message: String(err) };
}
