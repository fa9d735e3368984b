//! Unknown keys, all of them: before the typed parse (which would stop at
//! the first), the file's keys are walked with their spans and checked
//! against the field lists of the [`super::raw`] structs, so one run of
//! `validate` lists every misspelt key with its line, column, the table it
//! is in, a close match when there is one, and the keys that table accepts.
//!
//! The lists are read from the structs' `Deserialize` impls
//! ([`field_names`]), so they cannot drift from what the parser accepts; the
//! tables walked are [`super::raw::TABLES`].

use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::locate::Problems;
use super::raw::{RawConfig, TableKeys, TABLES};
use super::Problem;

/// The field names `T`'s derived `Deserialize` accepts (a struct's
/// `deserialize_struct` is handed them; nothing is deserialized).
pub(super) fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(FieldCatcher(&mut fields));
    fields.expect("field_names: not a struct with named fields")
}

struct FieldCatcher<'a>(&'a mut Option<&'static [&'static str]>);

#[derive(Debug)]
struct Caught;

impl fmt::Display for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field names caught")
    }
}

impl std::error::Error for Caught {}

impl de::Error for Caught {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Caught
    }
}

impl<'de> Deserializer<'de> for FieldCatcher<'_> {
    type Error = Caught;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Caught> {
        Err(Caught)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Caught> {
        *self.0 = Some(fields);
        Err(Caught)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The keys of the file, as far as they are checked: the top level's, and
/// those of each table named in [`TABLES`] (one list per `[[array]]` entry).
#[derive(Debug, Default)]
pub(super) struct Shape {
    top: Vec<Spanned<String>>,
    tables: Vec<(&'static TableKeys, Vec<Spanned<String>>)>,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut shape = Shape::default();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            match TABLES.iter().find(|t| t.name == key.get_ref()) {
                Some(table) => {
                    let KeyLists(lists) = map.next_value()?;
                    shape.tables.extend(lists.into_iter().map(|l| (table, l)));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            shape.top.push(key);
        }
        Ok(shape)
    }
}

/// The keys of a table, or of each table in an array. Any other value is a
/// deserialization error: the walk gives up and the typed parse reports it.
struct KeyLists(Vec<Vec<Spanned<String>>>);

/// The keys of one table.
struct KeyList(Vec<Spanned<String>>);

fn collect_keys<'de, A: MapAccess<'de>>(mut map: A) -> Result<Vec<Spanned<String>>, A::Error> {
    let mut keys = Vec::new();
    while let Some(key) = map.next_key::<Spanned<String>>()? {
        map.next_value::<IgnoredAny>()?;
        keys.push(key);
    }
    Ok(keys)
}

impl<'de> Deserialize<'de> for KeyLists {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeysVisitor)
    }
}

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TableVisitor)
    }
}

/// Only a table: anything else makes the walk give up.
struct TableVisitor;

impl<'de> Visitor<'de> for TableVisitor {
    type Value = KeyList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyList, A::Error> {
        collect_keys(map).map(KeyList)
    }
}

struct KeysVisitor;

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = KeyLists;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table or an array of tables")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyLists, A::Error> {
        Ok(KeyLists(vec![collect_keys(map)?]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyLists, A::Error> {
        let mut lists = Vec::new();
        while let Some(KeyList(keys)) = seq.next_element::<KeyList>()? {
            lists.push(keys);
        }
        Ok(KeyLists(lists))
    }
}

/// Where a key was found: the top level or one of [`TABLES`].
#[derive(Clone, Copy)]
enum Place {
    Top,
    Table(&'static TableKeys),
}

impl Place {
    fn valid(self) -> &'static [&'static str] {
        match self {
            Place::Top => field_names::<RawConfig>(),
            Place::Table(t) => (t.fields)(),
        }
    }

    fn describe(self) -> String {
        match self {
            Place::Top => "at the top level".to_string(),
            Place::Table(t) => format!("in {}", t.header),
        }
    }
}

/// Every key of `shape` its table does not accept, in file order.
pub(super) fn unknown(problems: &Problems<'_>, shape: &Shape) -> Vec<Problem> {
    let places = std::iter::once((Place::Top, &shape.top))
        .chain(shape.tables.iter().map(|(t, keys)| (Place::Table(t), keys)));
    let mut found: Vec<(usize, Problem)> = Vec::new();
    for (place, keys) in places {
        let valid = place.valid();
        for key in keys
            .iter()
            .filter(|k| !valid.contains(&k.get_ref().as_str()))
        {
            found.push((
                key.span().start,
                problems.at(key.span(), message(place, key.get_ref())),
            ));
        }
    }
    found.sort_by_key(|(start, _)| *start);
    found.into_iter().map(|(_, p)| p).collect()
}

/// The message for an unknown `key` found at `place`: where it is, a close
/// match or the table it belongs to, and the keys `place` accepts.
fn message(place: Place, key: &str) -> String {
    let valid = place.valid();
    let mut hint = String::new();
    if let Some(close) = crate::suggest::closest(key, valid.iter().copied()) {
        hint = format!(" (did you mean `{close}`?)");
    } else if let Some(home) = TABLES.iter().find(|t| (t.fields)().contains(&key)) {
        hint = format!(" (`{key}` is a key of {})", home.header);
    }
    let list = match place {
        Place::Top => TABLES
            .iter()
            .map(|t| t.header)
            .collect::<Vec<_>>()
            .join(", "),
        Place::Table(_) => valid.join(", "),
    };
    let kind = if matches!(place, Place::Top) {
        "tables"
    } else {
        "keys"
    };
    format!(
        "unknown key `{}` {}{hint}; valid {kind}: {list}",
        key.escape_debug(),
        place.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::{RawAccount, RawDefaults};

    #[test]
    fn field_names_come_from_the_structs() {
        assert_eq!(
            field_names::<RawConfig>(),
            ["defaults", "accounts", "organizations", "history", "notify"]
        );
        let defaults = field_names::<RawDefaults>();
        assert!(defaults.contains(&"concurrency") && defaults.contains(&"language"));
        assert!(field_names::<RawAccount>().contains(&"source_account"));
    }

    #[test]
    fn every_top_level_field_is_a_checked_table_and_back() {
        let top = field_names::<RawConfig>();
        for field in top {
            assert!(
                TABLES.iter().any(|t| t.name == *field),
                "`{field}` of RawConfig has no entry in raw::TABLES: its keys would go unchecked"
            );
        }
        for t in TABLES {
            assert!(
                top.contains(&t.name),
                "TABLES names `{}`, not a RawConfig field",
                t.name
            );
            assert!(t.header.contains(t.name));
        }
    }

    #[test]
    fn a_misspelt_key_gets_the_nearest_one() {
        let defaults = field_names::<RawDefaults>().iter().copied();
        assert_eq!(crate::suggest::closest("colour", defaults.clone()), None);
        assert_eq!(
            crate::suggest::closest("regoins", defaults),
            Some("regions")
        );
    }
}
