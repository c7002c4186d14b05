// BackendWriter: batches PostgreSQL v3 server messages into one growable buffer so each batch
// goes to the socket in a single write. Frontend parsing lives in codec.ts.

import type { ErrorFields, FieldDescription } from './codec.js';

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

  /** NotificationResponse ('A'): a notification on a channel this session listens on. */
  notificationResponse(pid: number, channel: string, payload: string): void {
    const at = this.begin(0x41, 4 + channel.length * 3 + payload.length * 3 + 2);
    this.int32(pid);
    this.cstring(channel);
    this.cstring(payload);
    this.finish(at);
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
    field(0x57, f.where); // W
    field(0x73, f.schema); // s
    field(0x74, f.table); // t
    field(0x63, f.column); // c
    field(0x64, f.dataType); // d
    field(0x6e, f.constraint); // n
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
