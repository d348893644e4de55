//! Output profiles: the background colour and the file-size window a
//! collection channel asks for.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub name: &'static str,
    pub background: [u8; 3],
    /// Accepted JPEG size in bytes, inclusive.
    pub size_window: (usize, usize),
}

impl Profile {
    /// 学信网 default: light blue RGB(100,197,255), 20–40 KB.
    pub fn blue() -> Self {
        Self {
            name: "blue",
            background: [100, 197, 255],
            size_window: (20 * 1024, 40 * 1024),
        }
    }
    pub fn white() -> Self {
        Self {
            name: "white",
            background: [255, 255, 255],
            ..Self::blue()
        }
    }
    pub fn grey() -> Self {
        Self {
            name: "grey",
            background: [240, 240, 240],
            ..Self::blue()
        }
    }
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "blue" => Some(Self::blue()),
            "white" => Some(Self::white()),
            "grey" | "gray" => Some(Self::grey()),
            _ => None,
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::blue()
    }
}
