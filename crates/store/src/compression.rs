//! Compression of layer and rootfs streams: detection by magic bytes and transparent
//! decompression (gzip, zstd, or plain tar passed through).

use std::io::{self, BufReader, Read};

use crate::error::{Error, Result};

/// How a tar stream is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// zstd (`28 b5 2f fd`).
    Zstd,
}

/// How many leading bytes [`Compression::detect`] needs to decide.
pub const MAGIC_LEN: usize = 6;

impl Compression {
    /// Detects the compression from the first bytes of a stream (up to [`MAGIC_LEN`]; fewer
    /// when the stream is shorter). Anything unrecognised is taken for a plain tar; xz and
    /// bzip2 are recognised and refused.
    pub fn detect(prefix: &[u8]) -> Result<Compression> {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Ok(Compression::Gzip)
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Ok(Compression::Zstd)
        } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Err(Error::UnsupportedCompression("xz"))
        } else if prefix.starts_with(b"BZh") {
            Err(Error::UnsupportedCompression("bzip2"))
        } else {
            Ok(Compression::None)
        }
    }

    /// The compression an OCI or Docker layer media type announces.
    pub fn from_media_type(media_type: &str) -> Compression {
        if media_type.ends_with("gzip") {
            Compression::Gzip
        } else if media_type.ends_with("zstd") {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Wraps `reader` so that reading it yields the uncompressed tar stream, whatever the
/// compression the magic bytes show (see [`Compression::detect`]). The result is buffered.
pub fn decompressed<'a>(reader: impl Read + 'a) -> Result<Box<dyn Read + 'a>> {
    decompressed_with(reader).map(|(r, _)| r)
}

/// Like [`decompressed`], also telling which compression was found.
pub fn decompressed_with<'a>(
    mut reader: impl Read + 'a,
) -> Result<(Box<dyn Read + 'a>, Compression)> {
    let mut magic = [0u8; MAGIC_LEN];
    let mut got = 0;
    while got < MAGIC_LEN {
        match reader.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(Error::Stream {
                    what: "reading the start of the tar stream".into(),
                    source,
                })
            }
        }
    }
    let prefix = magic[..got].to_vec();
    let kind = Compression::detect(&prefix)?;
    let whole = io::Cursor::new(prefix).chain(reader);
    let out: Box<dyn Read + 'a> = match kind {
        Compression::None => Box::new(BufReader::with_capacity(128 * 1024, whole)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            128 * 1024,
            flate2::read::MultiGzDecoder::new(whole),
        )),
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::new(whole).map_err(|source| Error::Stream {
                what: "starting the zstd decoder".into(),
                source,
            })?;
            Box::new(BufReader::with_capacity(128 * 1024, dec))
        }
    };
    Ok((out, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(r: &mut dyn Read) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        r.read_to_end(&mut v)?;
        Ok(v)
    }

    #[test]
    fn plain_passes_through() {
        let mut r = decompressed(&b"hello world, a plain stream"[..]).unwrap();
        assert_eq!(read_all(&mut r).unwrap(), b"hello world, a plain stream");
        let mut r = decompressed(&b"hi"[..]).unwrap();
        assert_eq!(read_all(&mut r).unwrap(), b"hi");
        let mut r = decompressed(&b""[..]).unwrap();
        assert!(read_all(&mut r).unwrap().is_empty());
    }

    #[test]
    fn gzip_and_zstd() {
        let data = b"some tar bytes".repeat(1000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        let gz = gz.finish().unwrap();
        let (mut r, kind) = decompressed_with(&gz[..]).unwrap();
        assert_eq!(kind, Compression::Gzip);
        assert_eq!(read_all(&mut r).unwrap(), data);

        let zs = zstd::stream::encode_all(&data[..], 3).unwrap();
        let (mut r, kind) = decompressed_with(&zs[..]).unwrap();
        assert_eq!(kind, Compression::Zstd);
        assert_eq!(read_all(&mut r).unwrap(), data);
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut r = decompressed(&[0x1f, 0x8b, 0, 1, 2, 3, 4, 5, 6][..]).unwrap();
        assert!(read_all(&mut r).is_err());
    }

    #[test]
    fn xz_and_bzip2_refused() {
        let xz = [0xfd, b'7', b'z', b'X', b'Z', 0x00, 1, 2];
        let e = decompressed(&xz[..]).err().unwrap();
        assert!(e.to_string().contains("unsupported compression xz"), "{e}");
        let e = decompressed(&b"BZh91AY"[..]).err().unwrap();
        assert!(e.to_string().contains("bzip2"), "{e}");
    }

    #[test]
    fn media_types() {
        assert_eq!(
            Compression::from_media_type(crate::oci::MEDIA_DOCKER_LAYER_GZIP),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_media_type(crate::oci::MEDIA_LAYER_ZSTD),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_media_type(crate::oci::MEDIA_LAYER_TAR),
            Compression::None
        );
    }
}
