// A minimal PostgreSQL protocol client over a raw socket, for message orders the drivers hide
// (CopyFail, CopyData after a CancelRequest): startup without a password, typed messages out, each
// backend message handed to the caller as it arrives, and CancelRequest on a second socket.
import { connect, type Socket } from 'node:net';

/** The CancelRequest code of the protocol. */
const cancelRequestCode = 80877102;
/** Protocol version 3.0 in the StartupMessage. */
const protocolVersion3 = 196608;

export function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf8');
}

export class RawWireClient {
  private readonly sock: Socket;
  private buf = Buffer.alloc(0);
  /** BackendKeyData's process id and secret, once the server sent them. */
  key: Buffer | null = null;

  /** Connects and sends the StartupMessage; `onMessage` gets every backend message (type, body). */
  constructor(
    private readonly port: number,
    onMessage: (type: string, body: Buffer) => void,
    onError: (e: Error) => void,
  ) {
    this.sock = connect(port, '127.0.0.1');
    const params = Buffer.concat([cstr('user'), cstr('u'), cstr('database'), cstr('d'), Buffer.from([0])]);
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(params.length + 8, 0);
    startup.writeInt32BE(protocolVersion3, 4);
    this.sock.write(Buffer.concat([startup, params]));
    this.sock.on('error', onError);
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 5 && this.buf.length >= 1 + this.buf.readInt32BE(1)) {
        const type = String.fromCharCode(this.buf[0]!);
        const body = this.buf.subarray(5, 1 + this.buf.readInt32BE(1));
        this.buf = this.buf.subarray(1 + this.buf.readInt32BE(1));
        if (type === 'K') this.key = Buffer.from(body);
        onMessage(type, body);
      }
    });
  }

  send(type: string, body: Buffer = Buffer.alloc(0)): void {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    this.sock.write(Buffer.concat([head, body]));
  }

  /** A CancelRequest for this session on a socket of its own; resolves when the server closed it. */
  cancel(): Promise<void> {
    return new Promise((resolve, reject) => {
      const c = connect(this.port, '127.0.0.1');
      const req = Buffer.alloc(16);
      req.writeInt32BE(16, 0);
      req.writeInt32BE(cancelRequestCode, 4);
      this.key!.copy(req, 8);
      c.on('error', reject);
      c.on('close', () => resolve());
      c.end(req);
    });
  }

  /** Terminate and close. */
  end(): void {
    this.send('X');
    this.sock.end();
  }
}

/** An ErrorResponse's fields joined with '|' (C57014|M...). */
export function errorFields(body: Buffer): string {
  return body.toString('utf8').split('\0').join('|');
}
