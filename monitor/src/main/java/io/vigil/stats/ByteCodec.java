package io.vigil.stats;

/**
 * Compact binary encoding shared by the accumulators: zig-zag variable-length longs (1 byte for
 * small counts), and a leading format byte per type so that a stored state of an unknown format is
 * rejected rather than misread.
 */
final class ByteCodec {

    private ByteCodec() {}

    /**
     * An append-only byte buffer. Not {@link java.io.ByteArrayOutputStream}: its methods are
     * synchronized, and aggregates of thousands of cells are written byte by byte at every commit.
     */
    static final class Writer {
        private byte[] buf = new byte[256];
        private int size;

        private void ensure(int extra) {
            if (size + extra > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
            }
        }

        Writer writeByte(int b) {
            ensure(1);
            buf[size++] = (byte) b;
            return this;
        }

        Writer writeVarLong(long value) {
            ensure(10);
            long v = (value << 1) ^ (value >> 63);
            while ((v & ~0x7FL) != 0) {
                buf[size++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[size++] = (byte) v;
            return this;
        }

        Writer writeDouble(double value) {
            ensure(8);
            long bits = Double.doubleToLongBits(value);
            for (int i = 0; i < 8; i++) {
                buf[size++] = (byte) (bits >>> (8 * i));
            }
            return this;
        }

        Writer writeBytes(byte[] bytes) {
            writeVarLong(bytes.length);
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
            return this;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, size);
        }
    }

    static final class Reader {
        private final byte[] buf;
        private int pos;

        Reader(byte[] buf) {
            this.buf = buf;
        }

        int readByte() {
            require(1);
            return buf[pos++] & 0xFF;
        }

        long readVarLong() {
            long v = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                int b = readByte();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return (v >>> 1) ^ -(v & 1);
                }
            }
            throw new IllegalArgumentException("malformed variable-length integer at byte " + pos);
        }

        int readCount(int max) {
            long v = readVarLong();
            if (v < 0 || v > max) {
                throw new IllegalArgumentException("length must be in [0, " + max + "], got " + v);
            }
            return (int) v;
        }

        double readDouble() {
            require(8);
            long bits = 0;
            for (int i = 0; i < 8; i++) {
                bits |= (long) (buf[pos++] & 0xFF) << (8 * i);
            }
            return Double.longBitsToDouble(bits);
        }

        byte[] readBytes() {
            int len = readCount(buf.length - pos);
            byte[] b = new byte[len];
            System.arraycopy(buf, pos, b, 0, len);
            pos += len;
            return b;
        }

        void expectFormat(int format, String type) {
            int b = readByte();
            if (b != format) {
                throw new IllegalArgumentException(type + " format byte must be " + format + ", got " + b);
            }
        }

        void expectEnd() {
            if (pos != buf.length) {
                throw new IllegalArgumentException((buf.length - pos) + " trailing bytes after state");
            }
        }

        private void require(int n) {
            if (pos + n > buf.length) {
                throw new IllegalArgumentException("state truncated at byte " + pos + " of " + buf.length);
            }
        }
    }
}
