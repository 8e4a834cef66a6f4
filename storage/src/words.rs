//! Enumerations stored as words (statuses, roles, sources): each variant
//! knows its word and parses back from it, so no status is spelled as a
//! string literal outside its enum.

/// Declares an enum stored as words, with `as_str`, `ALL`, `Display` and `FromStr`.
macro_rules! stored_words {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not one of {}",
                        [$($word),+].join(", ")
                    )),
                }
            }
        }
    };
}

pub(crate) use stored_words;

#[cfg(test)]
mod tests {
    stored_words! {
        /// A test enum.
        pub enum Color { Red = "red", DarkBlue = "dark-blue" }
    }

    #[test]
    fn words_round_trip() {
        for c in Color::ALL {
            assert_eq!(c.as_str().parse::<Color>(), Ok(*c));
        }
        assert_eq!(Color::DarkBlue.to_string(), "dark-blue");
        assert!("blue".parse::<Color>().expect_err("unknown").contains("red, dark-blue"));
    }
}
