/**
 * A minimal protocol-buffers *writer* — just what encoding an ONNX model needs (no reader, no schema).
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/): every field is a key
 * `(field_number << 3) | wire_type` as a varint, then its value:
 * - wire type 0 (VARINT): int32/int64/uint64/enum/bool as base-128 varints, least significant group
 *   first; negative int32/int64 values take ten bytes (two's complement over 64 bits);
 * - wire type 2 (LEN): a varint byte length, then the bytes (strings, bytes, embedded messages);
 * - wire type 5 (I32): a float as 4 little-endian bytes.
 * Repeated scalars are written unpacked (one key per element), which is what proto2 files such as
 * onnx.proto declare; every parser also accepts it.
 *
 * Output is a list of chunks so that big tensors (tens of MB of weights) are referenced, never
 * copied into one buffer: an embedded message is its length prefix followed by its own chunks.
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;
  private flushed = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos;
  }

  /** Unsigned or signed integer field (int32, int64, uint64, enum). */
  int(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  /** float field (wire type 5, little-endian IEEE 754). */
  float(field: number, value: number): this {
    this.key(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).setFloat32(0, value, true);
    this.pos += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** bytes field; large arrays are kept by reference (not copied) until the chunks are consumed. */
  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2);
    this.varint(data.byteLength);
    if (data.byteLength > 4096) {
      this.flush();
      this.parts.push(data);
      this.flushed += data.byteLength;
    } else {
      this.ensure(data.byteLength);
      this.buf.set(data, this.pos);
      this.pos += data.byteLength;
    }
    return this;
  }

  /** An embedded message field. `message` must not be written to afterwards. */
  message(field: number, message: ProtoWriter): this {
    this.key(field, 2);
    this.varint(message.length);
    this.flush();
    for (const part of message.finish()) {
      this.parts.push(part);
      this.flushed += part.byteLength;
    }
    return this;
  }

  /** The encoded message as chunks (concatenate them, or write them in order). */
  finish(): Uint8Array[] {
    this.flush();
    return this.parts;
  }

  /** The encoded message as one buffer (for small messages and tests). */
  toBytes(): Uint8Array {
    const parts = this.finish();
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    this.ensure(10);
    if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
      let v = value;
      while (v >= 0x80) {
        this.buf[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.pos++] = v;
      return;
    }
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`protobuf varint: ${value} is not an integer`);
    // Negative (or bigint) values: two's complement over 64 bits, always 10 bytes when negative.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.slice(0, this.pos));
    this.flushed += this.pos;
    this.pos = 0;
  }
}
