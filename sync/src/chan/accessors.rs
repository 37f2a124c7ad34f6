//! The read-only accessors both channel handles share, written once: `Sender` and `Receiver`
//! each invoke [`handle_accessors!`] inside their `impl` block.

/// Expands to `is_closed`, `len`, `is_empty`, `capacity` and `same_channel` for a channel
/// handle type `$handle` with a `chan: Arc<Chan<T>>` field. `$me` and `$other` name the handle
/// and the other end in the doc examples (`"tx"`, `"rx"`).
macro_rules! handle_accessors {
    ($handle:ident, $me:literal, $other:literal) => {
        #[doc = concat!(
                    "Whether the channel is closed (values may still be buffered).\n\n",
                    "# Examples\n\n```\n",
                    "let (tx, rx) = gmp_sync::chan::bounded::<()>(0);\n",
                    "assert!(!", $me, ".is_closed());\n",
                    "drop(", $other, "); // the last handle of the other end closes it\n",
                    "assert!(", $me, ".is_closed());\n",
                    "```"
                )]
        pub fn is_closed(&self) -> bool {
            self.chan.is_closed()
        }

        #[doc = concat!(
                    "Values in the buffer: Go's `len(ch)`.\n\n",
                    "# Examples\n\n```\n",
                    "let (tx, rx) = gmp_sync::chan::bounded(3);\n",
                    "tx.try_send(1).unwrap();\n",
                    "assert_eq!(", $me, ".len(), 1);\n",
                    "# drop(", $other, ");\n",
                    "```"
                )]
        pub fn len(&self) -> usize {
            self.chan.len()
        }

        #[doc = concat!(
                    "Whether the buffer is empty.\n\n",
                    "# Examples\n\n```\n",
                    "let (tx, rx) = gmp_sync::chan::bounded::<u8>(3);\n",
                    "assert!(", $me, ".is_empty());\n",
                    "# drop(", $other, ");\n",
                    "```"
                )]
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        #[doc = concat!(
                    "The buffer's capacity: Go's `cap(ch)` (0 for an unbuffered channel).\n\n",
                    "# Examples\n\n```\n",
                    "let (tx, rx) = gmp_sync::chan::bounded::<u8>(3);\n",
                    "assert_eq!(", $me, ".capacity(), 3);\n",
                    "# drop(", $other, ");\n",
                    "```"
                )]
        pub fn capacity(&self) -> usize {
            self.chan.capacity()
        }

        #[doc = concat!(
                    "Whether two handles are ends of the same channel.\n\n",
                    "# Examples\n\n```\n",
                    "let (tx, rx) = gmp_sync::chan::bounded::<u8>(0);\n",
                    "assert!(", $me, ".same_channel(&", $me, ".clone()));\n",
                    "# drop(", $other, ");\n",
                    "```"
                )]
        pub fn same_channel(&self, other: &$handle<T>) -> bool {
            Arc::ptr_eq(&self.chan, &other.chan)
        }
    };
}
