"""A writer of TensorBoard event files (`events.out.tfevents.*`), without TensorFlow.

An event file is a sequence of records: uint64 length, masked CRC-32C of the length, the
payload (a serialized `tensorflow.Event` protocol buffer), masked CRC-32C of the payload.
The few messages needed here (Event, Summary, Summary.Value, HistogramProto,
Summary.Image, SummaryMetadata, TensorProto of strings) are encoded by hand with the
protobuf wire format; their field numbers are those of TensorBoard's summary.proto and
event.proto. TensorBoard reads scalars from `simple_value` and histograms from `histo`.
"""
import itertools
import os
import socket
import struct
import time
import zlib

import numpy as np

# --- CRC-32C (Castagnoli), as TFRecord framing requires --------------------------------


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masking: rotate right by 15 bits and add a constant (mod 2^32)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# --- protobuf wire format ----------------------------------------------------------------


def _varint(n):
    n &= (1 << 64) - 1  # negative int64 as two's complement, as protobuf does
    out = bytearray()
    while True:
        bits = n & 0x7F
        n >>= 7
        if n:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field, wire_type):
    return _varint(field << 3 | wire_type)


def _int(field, value):
    return _key(field, 0) + _varint(int(value))


def _double(field, value):
    return _key(field, 1) + struct.pack("<d", float(value))


def _float(field, value):
    return _key(field, 5) + struct.pack("<f", float(value))


def _bytes(field, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, 2) + _varint(len(value)) + value


def _packed_doubles(field, values):
    return _bytes(field, np.asarray(values, "<f8").tobytes())


# --- messages ----------------------------------------------------------------------------


def scalar_value(tag, value):
    """Summary.Value{tag, simple_value}."""
    return _bytes(1, tag) + _float(2, value)


def histogram_value(tag, values, buckets=30):
    """Summary.Value{tag, histo}: `buckets` equal-width bins over [min, max] of `values`."""
    v = np.asarray(values, np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    if v.size == 0:
        lo = hi = 0.0
    else:
        lo, hi = float(v.min()), float(v.max())
    edges = np.linspace(lo, hi, buckets + 1) if hi > lo else np.array([lo - 0.5, hi + 0.5])
    counts, _ = np.histogram(v, bins=edges)
    histo = (_double(1, lo) + _double(2, hi) + _double(3, v.size) + _double(4, v.sum())
             + _double(5, np.dot(v, v)) + _packed_doubles(6, edges[1:])
             + _packed_doubles(7, counts))
    return _bytes(1, tag) + _bytes(5, histo)


def image_value(tag, pixels):
    """Summary.Value{tag, image}: `pixels` uint8 (height, width, channels in {1, 3, 4})."""
    h, w, c = pixels.shape
    image = _int(1, h) + _int(2, w) + _int(3, c) + _bytes(4, encode_png(pixels))
    return _bytes(1, tag) + _bytes(4, image)


def text_tensor_value(tag, text, plugin_name, content=b""):
    """Summary.Value{tag, metadata{plugin_data}, tensor: a scalar DT_STRING tensor}."""
    plugin = _bytes(1, plugin_name) + (_bytes(2, content) if content else b"")
    metadata = _bytes(1, plugin)
    tensor = _int(1, 7) + _bytes(2, b"") + _bytes(8, text)  # dtype DT_STRING, shape []
    return _bytes(1, tag) + _bytes(9, metadata) + _bytes(8, tensor)


def encode_png(pixels):
    """A PNG file of uint8 pixels (height, width, channels), 8 bits, no interlace."""
    pixels = np.ascontiguousarray(pixels, np.uint8)
    h, w, c = pixels.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = np.concatenate([np.zeros((h, 1), np.uint8), pixels.reshape(h, w * c)], axis=1)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b""))


# --- the file ----------------------------------------------------------------------------

_COUNTER = itertools.count()


class EventFileWriter:
    """Appends events to a new `events.out.tfevents.<time>.<host>.<pid>.<n>.v2` in `logdir`.

    Records are buffered by the file object; `flush()` makes them visible to TensorBoard.
    """

    def __init__(self, logdir):
        os.makedirs(logdir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_COUNTER)}.v2")
        self.path = os.path.join(logdir, name)
        self._file = open(self.path, "wb")  # noqa: SIM115  (closed by close())
        self._write_event(_bytes(3, "brain.Event:2"))

    def _write_event(self, body, step=None):
        event = _double(1, time.time()) + (_int(2, step) if step is not None else b"") + body
        header = struct.pack("<Q", len(event))
        self._file.write(header + struct.pack("<I", masked_crc32c(header)) + event
                         + struct.pack("<I", masked_crc32c(event)))

    def add_values(self, values, step):
        """One Event{step, summary{value...}} for already-encoded Summary.Value messages."""
        if values:
            self._write_event(_bytes(5, b"".join(_bytes(1, v) for v in values)), step=int(step))

    def flush(self):
        if not self._file.closed:
            self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()

    @property
    def closed(self):
        return self._file.closed
