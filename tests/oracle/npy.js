'use strict';
/**
 * Minimal .npy / .npz reader and writer for the ORT oracle (no npm dependencies).
 *
 * .npy: format versions 1.0, 2.0 and 3.0, little-endian (or byte-less) dtypes, C order only.
 * .npz: zip archives with STORED or DEFLATE members (zip64 fields understood, since numpy
 *       writes members with force_zip64); written back as STORED with a correct CRC32.
 *
 * An array is { dtype, dims, data }: dtype is the ORT type name ('float32', 'int64', ...),
 * dims a plain array of numbers, data the typed array ORT uses for that type (float16 is raw
 * Uint16Array bits, bool is Uint8Array, 64-bit ints are BigInt64Array / BigUint64Array).
 */
const zlib = require('zlib');

// ORT type name -> numpy descr and typed array constructor.
const DTYPES = {
  float32: ['<f4', Float32Array], float64: ['<f8', Float64Array], float16: ['<f2', Uint16Array],
  int8: ['|i1', Int8Array], uint8: ['|u1', Uint8Array], int16: ['<i2', Int16Array],
  uint16: ['<u2', Uint16Array], int32: ['<i4', Int32Array], uint32: ['<u4', Uint32Array],
  int64: ['<i8', BigInt64Array], uint64: ['<u8', BigUint64Array], bool: ['|b1', Uint8Array],
};
// numpy descr (with any byte-order mark valid for the type) -> ORT type name.
const BY_DESCR = {};
for (const [name, [descr]] of Object.entries(DTYPES)) {
  const kind = descr.slice(1);
  BY_DESCR['<' + kind] = BY_DESCR['|' + kind] = BY_DESCR['=' + kind] = name;
}

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');

function fail(msg) { throw new Error(msg); }

/** Parses one .npy file held in a Buffer. */
function parseNpy(buf, what = 'npy') {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) fail(`${what}: not a .npy file (bad magic)`);
  const major = buf[6];
  let hlen, start;
  if (major === 1) { hlen = buf.readUInt16LE(8); start = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); start = 12; }
  else fail(`${what}: unsupported .npy version ${major}.${buf[7]}`);
  if (start + hlen > buf.length) fail(`${what}: truncated header`);
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + hlen);
  // The header is a Python dict literal; pull out the three keys numpy always writes.
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) fail(`${what}: malformed header ${JSON.stringify(header.trim())}`);
  const dtype = BY_DESCR[descr[1]];
  if (!dtype) fail(`${what}: unsupported dtype '${descr[1]}' (little-endian numeric or bool only)`);
  if (fortran[1] === 'True') fail(`${what}: fortran_order arrays are not supported (save C-contiguous)`);
  const dims = shape[1].split(',').map(s => s.trim()).filter(s => s.length).map(s => {
    if (!/^\d+$/.test(s)) fail(`${what}: bad shape entry '${s}'`);
    return Number(s);
  });
  const Ctor = DTYPES[dtype][1];
  const count = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen, nbytes = count * Ctor.BYTES_PER_ELEMENT;
  if (buf.length - off < nbytes) fail(`${what}: data too short (${buf.length - off} bytes, need ${nbytes})`);
  // Copy so the typed array is aligned and does not alias the file buffer.
  const data = new Ctor(new Uint8Array(buf.subarray(off, off + nbytes)).buffer);
  return { dtype, dims, data };
}

/** Serialises an array to .npy bytes (version 1.0, or 2.0 if the header needs it). */
function formatNpy({ dtype, dims, data }) {
  if (!DTYPES[dtype]) fail(`cannot write dtype '${dtype}' to .npy`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let dict = `{'descr': '${DTYPES[dtype][0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads with spaces and a final newline so the data starts 64-byte aligned.
  let major = 1, pre = 10;
  if (dict.length + 1 + pre > 65535) { major = 2; pre = 12; }
  dict += ' '.repeat((64 - ((pre + dict.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(pre);
  MAGIC.copy(head, 0);
  head[6] = major; head[7] = 0;
  if (major === 1) head.writeUInt16LE(dict.length, 8); else head.writeUInt32LE(dict.length, 8);
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), bytes]);
}

// --- zip ---------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(buf) {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Returns [{name, data: Buffer}] for every file member of a zip archive. */
function readZip(buf, what = 'npz') {
  // End of central directory: last 22+ bytes (a trailing comment may follow it).
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) fail(`${what}: not a zip archive (no end of central directory)`);
  let count = buf.readUInt16LE(eocd + 10), cdOff = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOff === 0xffffffff) {
    // Zip64: the locator sits right before the EOCD and points at the zip64 EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || buf.readUInt32LE(loc) !== 0x07064b50) fail(`${what}: missing zip64 locator`);
    const z = Number(buf.readBigUInt64LE(loc + 8));
    if (buf.readUInt32LE(z) !== 0x06064b50) fail(`${what}: bad zip64 end record`);
    count = Number(buf.readBigUInt64LE(z + 32));
    cdOff = Number(buf.readBigUInt64LE(z + 48));
  }
  const out = [];
  let p = cdOff;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) fail(`${what}: corrupt central directory`);
    const method = buf.readUInt16LE(p + 10), crc = buf.readUInt32LE(p + 16);
    let csize = buf.readUInt32LE(p + 20), usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28), xlen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    let lho = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nlen);
    // Zip64 extra field (id 1) holds, in order, whichever of usize/csize/offset were 0xffffffff.
    for (let x = p + 46 + nlen, end = x + xlen; x + 4 <= end;) {
      const id = buf.readUInt16LE(x), sz = buf.readUInt16LE(x + 2);
      if (id === 1) {
        let q = x + 4;
        if (usize === 0xffffffff) { usize = Number(buf.readBigUInt64LE(q)); q += 8; }
        if (csize === 0xffffffff) { csize = Number(buf.readBigUInt64LE(q)); q += 8; }
        if (lho === 0xffffffff) { lho = Number(buf.readBigUInt64LE(q)); q += 8; }
      }
      x += 4 + sz;
    }
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue; // directory entry
    if (buf.readUInt32LE(lho) !== 0x04034b50) fail(`${what}: bad local header for '${name}'`);
    const dataOff = lho + 30 + buf.readUInt16LE(lho + 26) + buf.readUInt16LE(lho + 28);
    if (dataOff + csize > buf.length) fail(`${what}: member '${name}' is truncated`);
    const raw = buf.subarray(dataOff, dataOff + csize);
    let data;
    if (method === 0) data = raw;
    else if (method === 8) data = zlib.inflateRawSync(raw);
    else fail(`${what}: member '${name}' uses unsupported compression method ${method}`);
    if (data.length !== usize || crc32(data) !== crc) fail(`${what}: member '${name}' fails its size/CRC check`);
    out.push({ name, data });
  }
  return out;
}

/** Builds a zip archive of STORED members (fixed timestamps, so output is reproducible). */
function writeZip(members) {
  const locals = [], central = [];
  let off = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01 00:00
  for (const { name, data } of members) {
    const n = Buffer.from(name, 'utf8'), crc = crc32(data);
    if (data.length >= 0xffffffff || off >= 0xffffffff) fail('npz writer: archive too large (no zip64)');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(0x800, 6); // utf8 names
    lh.writeUInt16LE(0, 8); lh.writeUInt16LE(0, 10); lh.writeUInt16LE(DOS_DATE, 12);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(data.length, 18); lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(n.length, 26); lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x800, 8); ch.writeUInt16LE(0, 10); ch.writeUInt16LE(0, 12); ch.writeUInt16LE(DOS_DATE, 14);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(data.length, 20); ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(n.length, 28); ch.writeUInt32LE(off, 42);
    locals.push(lh, n, data);
    central.push(ch, n);
    off += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8); end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Reads an .npz Buffer into a Map name -> array (member names lose their ".npy"). */
function readNpz(buf, what = 'npz') {
  const arrays = new Map();
  for (const { name, data } of readZip(buf, what)) {
    if (!name.endsWith('.npy')) continue; // numpy only ever writes .npy members
    arrays.set(name.slice(0, -4), parseNpy(data, `${what}:${name}`));
  }
  return arrays;
}

/** Serialises [name, array] pairs (or a Map) to .npz bytes. */
function formatNpz(entries) {
  return writeZip([...entries].map(([name, arr]) => ({ name: name + '.npy', data: formatNpy(arr) })));
}

module.exports = { DTYPES, parseNpy, formatNpy, readZip, writeZip, readNpz, formatNpz, crc32 };
