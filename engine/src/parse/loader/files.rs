//! Where the loader's texts come from: the [`FileSystem`] trait, the disk ([`DiskFs`]) and
//! [`Overlay`], unsaved texts by path over another file system (an editor's open buffers).
//! This is the only place the loader touches the disk.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::normalize;

/// Larger files are refused rather than read: no process, WSDL or schema is this big by accident.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Why a file's text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("it is {size} bytes, more than the {MAX_FILE_SIZE} bytes a file may have")]
    TooLarge { size: u64 },
    #[error("it is not text in UTF-8 (or UTF-16 with a byte order mark)")]
    Encoding,
}

/// What the loader reads texts through.
pub trait FileSystem: fmt::Debug + Send + Sync {
    /// The text of the file at `path`.
    fn read(&self, path: &Path) -> Result<Arc<str>, ReadError>;

    /// The canonical form of `path` (absolute, symbolic links resolved): two paths name the same
    /// file when their canonical forms are equal.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
}

/// The files on disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskFs;

impl FileSystem for DiskFs {
    fn read(&self, path: &Path) -> Result<Arc<str>, ReadError> {
        let metadata = std::fs::metadata(path)?;
        if metadata.is_dir() {
            return Err(ReadError::Io(io::Error::other("it is a directory")));
        }
        if metadata.len() > MAX_FILE_SIZE {
            return Err(ReadError::TooLarge { size: metadata.len() });
        }
        let bytes = std::fs::read(path)?;
        decode(bytes).map(Arc::from).ok_or(ReadError::Encoding)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// Texts held in memory by path (unsaved editor buffers, say), over another file system that
/// answers for every other path. A path with a text here need not exist below.
#[derive(Debug)]
pub struct Overlay {
    /// By [`Overlay::key`] of the path they were set for.
    texts: HashMap<PathBuf, Arc<str>>,
    base: Box<dyn FileSystem>,
}

impl Default for Overlay {
    fn default() -> Overlay {
        Overlay::new(DiskFs)
    }
}

impl Overlay {
    pub fn new(base: impl FileSystem + 'static) -> Overlay {
        Overlay { texts: HashMap::new(), base: Box::new(base) }
    }

    /// The path the overlay files a text under: canonical when the base knows the file, else the
    /// path lexically normalised (a new file not saved yet).
    pub fn key(&self, path: &Path) -> PathBuf {
        self.base.canonicalize(path).unwrap_or_else(|_| normalize(path))
    }

    /// Holds `text` as the content of `path`, over whatever the base has there.
    pub fn set(&mut self, path: &Path, text: Arc<str>) {
        let key = self.key(path);
        self.texts.insert(key, text);
    }

    /// Drops the text held for `path` (the base's file shows again). Whether there was one.
    pub fn remove(&mut self, path: &Path) -> bool {
        let key = self.key(path);
        self.texts.remove(&key).is_some()
    }

    /// The text held for `path`, if any.
    pub fn get(&self, path: &Path) -> Option<&Arc<str>> {
        if self.texts.is_empty() {
            return None;
        }
        self.texts.get(&self.key(path))
    }

    /// How many texts are held.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

impl FileSystem for Overlay {
    fn read(&self, path: &Path) -> Result<Arc<str>, ReadError> {
        match self.get(path) {
            Some(text) => Ok(text.clone()),
            None => self.base.read(path),
        }
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        match self.base.canonicalize(path) {
            Ok(canonical) => Ok(canonical),
            Err(error) => {
                let normalized = normalize(path);
                if self.texts.contains_key(&normalized) {
                    Ok(normalized)
                } else {
                    Err(error)
                }
            }
        }
    }
}

/// UTF-8 (a byte order mark is dropped: editors do not show it either) or UTF-16 with a BOM.
pub(super) fn decode(bytes: Vec<u8>) -> Option<String> {
    let utf16 = |bytes: &[u8], from: fn([u8; 2]) -> u16| {
        if !bytes.len().is_multiple_of(2) {
            return None;
        }
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units).ok()
    };
    match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => String::from_utf8(bytes).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_encodings() {
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>".to_vec()).as_deref(), Some("<a/>"));
        assert_eq!(decode(vec![0xFF, 0xFE, b'<', 0, b'a', 0, b'/', 0, b'>', 0]).as_deref(), Some("<a/>"));
        assert_eq!(decode(vec![0xC3, 0x28]), None);
    }

    #[test]
    fn an_overlay_answers_for_its_paths_and_the_disk_for_the_rest() {
        let dir = std::env::temp_dir().join(format!("bpel-overlay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let on_disk = dir.join("saved.xsd");
        std::fs::write(&on_disk, "<saved/>").expect("write");
        let mut overlay = Overlay::default();
        assert_eq!(&*overlay.read(&on_disk).expect("disk"), "<saved/>");

        overlay.set(&dir.join("./saved.xsd"), Arc::from("<edited/>"));
        assert_eq!(&*overlay.read(&on_disk).expect("overlay"), "<edited/>", "found by its canonical path");

        let unsaved = dir.join("new.wsdl");
        assert!(overlay.canonicalize(&unsaved).is_err());
        overlay.set(&unsaved, Arc::from("<new/>"));
        assert_eq!(overlay.canonicalize(&dir.join("x/../new.wsdl")).expect("known"), unsaved);
        assert_eq!(&*overlay.read(&unsaved).expect("unsaved"), "<new/>");

        assert!(overlay.remove(&on_disk));
        assert_eq!(&*overlay.read(&on_disk).expect("disk again"), "<saved/>");
        assert_eq!(overlay.len(), 1);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
