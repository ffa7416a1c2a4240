//! How a pod of the harness ([`super::pods`]) sees the machine: what its files, scripts and
//! environment name at an absolute path it has mounted is under its root, and an image folder
//! that a stand-in replaces is that stand-in's folder; a member's DNS name is
//! its loopback address; the node's every address (`0.0.0.0`) is the pod's member address, and so
//! are a probe's `127.0.0.1` and `localhost`. Each is replaced only as a whole token.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::pod::Pod;

/// The names and settings every pod of one cluster maps.
pub struct Mapping {
    /// Member DNS names, longest first, with their addresses.
    names: Vec<(String, String)>,
    /// Settings that bind every address of the node, with their form binding one address.
    all_addresses: Vec<(String, String)>,
    /// Folders of the image (`/opt/kafka/bin`) and the folders of this machine standing in.
    image_folders: Vec<(String, String)>,
}

impl Mapping {
    /// A mapping with these member DNS names.
    pub fn new(names: BTreeMap<String, Ipv4Addr>) -> Self {
        let mut names: Vec<(String, String)> = names
            .into_iter()
            .map(|(name, address)| (name, address.to_string()))
            .collect();
        names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        Self {
            names,
            all_addresses: Vec::new(),
            image_folders: Vec::new(),
        }
    }

    /// Adds folders of the image whose programs are stand-ins on this machine.
    pub fn with_image_folders(mut self, folders: &[(&str, std::path::PathBuf)]) -> Self {
        self.image_folders = folders
            .iter()
            .map(|(image, here)| ((*image).to_owned(), here.display().to_string()))
            .collect();
        self
    }

    /// Adds settings that bind every address of the node (ZooKeeper's `quorumListenOnAllIPs=true`)
    /// and what they become (`{address}` is the member's): several members share this machine's
    /// loopback, each on its own address.
    pub fn with_all_addresses(mut self, settings: &[(&str, &str)]) -> Self {
        self.all_addresses = settings
            .iter()
            .map(|(all, one)| ((*all).to_owned(), (*one).to_owned()))
            .collect();
        self
    }

    /// `text` of a file, a script, an argument or an environment value, as `pod` sees it.
    pub fn file(&self, text: &str, pod: &Pod) -> String {
        let mut out = self.paths(text, pod);
        for (name, address) in &self.names {
            out = replace_token(&out, name, address);
        }
        for (all, one) in &self.all_addresses {
            out = out.replace(all, &one.replace("{address}", &pod.address.to_string()));
        }
        replace_token(&out, "0.0.0.0", &pod.address.to_string())
    }

    /// A probe's argument, as `pod` sees it: its `localhost` is its member address.
    pub fn probe(&self, text: &str, pod: &Pod) -> String {
        let address = pod.address.to_string();
        let out = replace_token(&self.file(text, pod), "127.0.0.1", &address);
        replace_token(&out, "localhost", &address)
    }

    /// Replaces, in one pass, each path a container of `pod` mounts with that path under its root,
    /// and each image folder with its stand-in's.
    fn paths(&self, text: &str, pod: &Pod) -> String {
        let root = pod.root.display().to_string();
        let mut mounts: Vec<(String, String)> = pod
            .spec_mounts()
            .into_iter()
            .filter(|m| m != "/")
            .map(|m| (m.clone(), format!("{root}{m}")))
            .chain(self.image_folders.iter().cloned())
            .collect();
        mounts.sort_by_key(|(m, _)| std::cmp::Reverse(m.len()));
        mounts.dedup();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'scan: while !rest.is_empty() {
            let at_boundary = out.chars().last().is_none_or(|c| !is_path_char(c));
            if at_boundary {
                for (mount, there) in &mounts {
                    if let Some(after) = rest.strip_prefix(mount.as_str())
                        && after.chars().next().is_none_or(|c| !is_name_char(c))
                    {
                        out.push_str(there);
                        rest = after;
                        continue 'scan;
                    }
                }
            }
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

/// A character that continues a name (a mount path followed by one is another path).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// A character that, before a `/`, makes it part of a longer path or a URL's host.
fn is_path_char(c: char) -> bool {
    is_name_char(c) || c == '/'
}

/// Replaces `token` where it is neither preceded nor followed by a name character.
fn replace_token(text: &str, token: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(token) {
        let before = out
            .chars()
            .last()
            .into_iter()
            .chain(rest[..at].chars().last())
            .last();
        let after = rest[at + token.len()..].chars().next();
        out.push_str(&rest[..at]);
        let whole =
            before.is_none_or(|c| !is_name_char(c)) && after.is_none_or(|c| !is_name_char(c));
        out.push_str(if whole { with } else { token });
        rest = &rest[at + token.len()..];
    }
    out.push_str(rest);
    out
}
